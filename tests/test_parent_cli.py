"""`feedlens parent set-pin | status | audit` on a real data directory."""

from __future__ import annotations

import io
import json

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


def test_changing_the_pin_needs_the_current_one_unless_reset(tmp_path, capsys, monkeypatch):
    run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin="2468\n")
    code, _, err = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin="0000\n1111\n")
    assert code == 1 and "wrong PIN" in err
    code, _, _ = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin="2468\n1357\n")
    assert code == 0
    code, _, _ = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", "--reset", stdin="9753\n")
    assert code == 0
    code, out, _ = run(capsys, monkeypatch, tmp_path, "audit")
    outcomes = [line.split()[2] for line in out.splitlines()]
    assert outcomes == ["pin_reset", "pin_set", "refused_wrong_pin", "pin_set"]


@pytest.mark.parametrize("pin", ["12", " 1234"])
def test_a_weak_pin_is_refused(tmp_path, capsys, monkeypatch, pin):
    code, _, err = run(capsys, monkeypatch, tmp_path, "set-pin", "--pin-stdin", stdin=pin + "\n")
    assert code == 2 and "4 to 64" in err
    assert "not set" in run(capsys, monkeypatch, tmp_path, "status")[1]
