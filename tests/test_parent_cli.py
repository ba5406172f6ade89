"""`feedlens parent set-pin | status | audit` on a real data directory."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest

from feedlens.cli import main


def run(capsys, monkeypatch, data_dir, *args, stdin: str | None = None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["parent", "--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_set_pin_status_and_audit(tmp_path, capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, tmp_path, "status")
    assert code == 0 and "not set" in out
    code, out, _ = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin="2468\n")
    assert code == 0 and "set" in out
    code, out, _ = run(capsys, monkeypatch, tmp_path, "status", "--json")
    status = json.loads(out)
    assert status["set"] is True and status["failures"] == 0
    code, out, _ = run(capsys, monkeypatch, tmp_path, "audit", "--json")
    assert [json.loads(line)["outcome"] for line in out.splitlines()] == ["pin_set"]


def recovery_code(out: str) -> str:
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("recovery code"))


def test_changing_the_pin_needs_the_current_one_or_the_recovery_code(tmp_path, capsys, monkeypatch):
    _, out, _ = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin="2468\n")
    first_code = recovery_code(out)
    code, _, err = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin="0000\n1111\n")
    assert code == 1 and "wrong PIN" in err
    code, out, _ = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin="2468\n1357\n")
    assert code == 0
    code_now = recovery_code(out)  # a new PIN, a new code: the first one no longer works
    assert code_now != first_code
    # --reset without the recovery code (shell access only) is refused, the PIN stays
    for given in ("9753\n", "\n9753\n", f"{first_code}\n9753\n"):
        code, _, err = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", "--reset",
                           stdin=given)
        assert code == 1 and "recovery code" in err
    # the code as written down, in any case and grouping, resets it
    typed = code_now.lower().replace("-", " ")
    code, _, _ = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", "--reset",
                     stdin=f"{typed}\n9753\n")
    assert code == 0
    code, out, _ = run(capsys, monkeypatch, tmp_path, "audit")
    outcomes = [line.split()[2] for line in out.splitlines()]
    assert outcomes == ["pin_reset"] + ["refused_wrong_recovery"] * 3 + [
        "pin_set", "refused_wrong_pin", "pin_set"]
    with sqlite3.connect(tmp_path / "feedlens.sqlite3") as conn:  # only the argon2id hash is kept
        stored = conn.execute("SELECT value FROM parent_state WHERE key = 'recovery_hash'").fetchone()[0]
    assert stored.startswith("$argon2id$") and code_now not in stored


def test_a_wrong_pin_at_the_console_is_never_locked_out(tmp_path, capsys, monkeypatch):
    run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin="2468\n")
    for n in range(6):  # more than MAX_FAILURES
        code, _, err = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin=f"00{n:02d}\n")
        assert code == 1 and "wrong PIN" in err
    code, _, _ = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin="2468\n1357\n")
    assert code == 0


@pytest.mark.parametrize("pin", ["12", " 1234"])
def test_a_weak_pin_is_refused(tmp_path, capsys, monkeypatch, pin):
    code, _, err = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin=pin + "\n")
    assert code == 2 and "4 to 64" in err
    assert "not set" in run(capsys, monkeypatch, tmp_path, "status")[1]
