"""Bad input to any `feedlens` command: one line on stderr, `error: …`, exit status 2, no
traceback; and `feedlens run` stops cleanly on Ctrl-C. Real subprocesses throughout."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import DATA, ROOT
from .test_cli import HOME_URL, demo_rules, feedlens


def assert_one_line_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_classify_missing_file(tmp_path):
    result = feedlens("classify", "--url", HOME_URL, tmp_path / "absent.json", rules=demo_rules(tmp_path))
    assert_one_line_error(result, "absent.json", "no such")


def test_classify_directory_as_request_body(tmp_path):
    result = feedlens("classify", "--url", HOME_URL, DATA / "demo_home.json", "--request-body", tmp_path,
                      rules=demo_rules(tmp_path))
    assert_one_line_error(result, "is a directory")


def test_classify_body_that_is_not_json(tmp_path):
    page = tmp_path / "saved.json"
    page.write_text("<html><body>502 Bad Gateway</body></html>")
    result = feedlens("classify", "--url", HOME_URL, page, rules=demo_rules(tmp_path))
    line = assert_one_line_error(result, "saved.json", "not JSON")
    assert "items" not in result.stdout and "0 items" not in line


def test_classify_unknown_profile_lists_the_choices(tmp_path):
    result = feedlens("classify", "--url", HOME_URL, DATA / "demo_home.json", "--profile", "no-adz",
                      rules=demo_rules(tmp_path))
    assert_one_line_error(result, "unknown profile 'no-adz'", "available: default, no-ads")


def test_classify_invalid_profile_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: t\nversion: 1\nrules: [{id: x, action: explode}]\n")
    result = feedlens("classify", "--url", HOME_URL, DATA / "demo_home.json", "--profile", bad,
                      rules=demo_rules(tmp_path))
    assert_one_line_error(result, "invalid profile", "bad.yaml", "feedlens rules check")


def test_classify_table_has_title_and_author(tmp_path):
    result = feedlens("classify", "--url", HOME_URL, DATA / "demo_home.json", rules=demo_rules(tmp_path))
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header[5:7] == ["title", "author"]
    assert "Alice" in result.stdout


def test_argparse_errors_are_one_line():
    assert_one_line_error(feedlens("classify"), "--url", "feedlens classify --help")
    assert_one_line_error(feedlens("no-such-command"), "invalid choice")


def test_reports_verify_missing_file(tmp_path):
    assert_one_line_error(feedlens("reports", "verify", tmp_path / "absent.zip"), "absent.zip")


def test_research_delete_without_a_range(tmp_path):
    result = feedlens("research", "--data-dir", tmp_path, "delete")
    assert_one_line_error(result, "--all")


# ---- feedlens run ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_args(tmp_path: Path, listen: int, service: int, *extra) -> list[str]:
    return ["run", "--listen-port", str(listen), "--service-port", str(service),
            "--data-dir", str(tmp_path / "data"), *extra]


@pytest.mark.parametrize("busy", ["--listen-port", "--service-port"])
def test_run_port_in_use_names_the_feedlens_flag(tmp_path, busy):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = free_port()
        ports = (port, other) if busy == "--listen-port" else (other, port)
        result = feedlens(*run_args(tmp_path, *ports))
    line = assert_one_line_error(result, f"port {port}", busy)
    assert "--mode" not in line and "regular@" not in line


def test_run_bad_option_names_the_flag_not_the_mitmproxy_option(tmp_path):
    result = feedlens(*run_args(tmp_path, free_port(), free_port(), "--resolve", "nonsense"))
    line = assert_one_line_error(result, "--resolve")
    assert "feedlens_" not in line


@pytest.mark.parametrize("flag", ["--upstream-ca", "--device-auth"])
def test_run_missing_file(tmp_path, flag):
    result = feedlens(*run_args(tmp_path, free_port(), free_port(), flag, tmp_path / "absent.pem"))
    assert_one_line_error(result, flag, "absent.pem")


def test_run_unknown_profile(tmp_path):
    result = feedlens(*run_args(tmp_path, free_port(), free_port(), "--profile", "nope"))
    assert_one_line_error(result, "unknown profile 'nope'", "no-ads")


def test_run_prints_stopped_on_ctrl_c(tmp_path):
    args = run_args(tmp_path, free_port(), free_port())
    proc = subprocess.Popen([sys.executable, "-m", "feedlens.cli", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 45
        for line in proc.stdout:  # the banner comes once the proxy and the service are up
            if "is running" in line or time.monotonic() > deadline:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert err.strip().splitlines()[-1] == "stopped"
    assert "Traceback" not in err
