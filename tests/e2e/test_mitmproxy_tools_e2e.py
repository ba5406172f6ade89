"""`mitmdump -s addons/feedlens.py` and `mitmweb -s addons/feedlens.py`: the add-on starts the
companion service in mitmproxy's own loop and marks feeds as under `feedlens run`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, Feedlens, Proc, free_port, wait_ready
from .test_proxy_e2e import AD, MARKS, RCMD_URL, items

pytestmark = pytest.mark.e2e


def tool(name: str) -> list[str]:
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return [str(beside)]
    if shutil.which(name):
        return [shutil.which(name)]
    pytest.skip(f"{name} is not installed")


@pytest.mark.parametrize("name", ["mitmdump", "mitmweb"])
def test_addon_script_runs_under_mitmproxy_tools(name, replay, certs, tmp_path):
    data_dir, proxy_port, service_port = tmp_path / "data", free_port(), free_port()
    argv = tool(name) + [
        "-s", str(ROOT / "addons" / "feedlens.py"), "--listen-host", "127.0.0.1",
        "--listen-port", str(proxy_port), "--set", f"confdir={data_dir / 'mitmproxy'}",
        "--set", f"ssl_verify_upstream_trusted_ca={certs / 'ca.pem'}",
        "--set", f"feedlens_data_dir={data_dir}", "--set", f"feedlens_service_port={service_port}",
        "--set", "feedlens_profile=no-ads", "--set", "feedlens_mark_style=all",
        "--set", f"feedlens_resolve=api.bilibili.com=127.0.0.1:{replay}"]
    if name == "mitmweb":
        argv += ["--set", "web_open_browser=false", "--set", f"web_port={free_port()}"]
    proc = Proc.start(argv, tmp_path / f"{name}.log")
    try:
        wait_ready(proc, service_port)
        instance = Feedlens(proc, data_dir, proxy_port, service_port)
        status, _, body = instance.fetch(RCMD_URL)
        assert status == 200
        received = items(body)
        assert received and AD not in {i.id for i in received}
        assert all(i.title.startswith(MARKS) for i in received)
        health = instance.health()
        assert health["profile"]["active"] == "no-ads"
        assert health["counters"]["feed_responses"] == 1
    finally:
        proc.stop()
    assert "Traceback" not in proc.output(), proc.output()
