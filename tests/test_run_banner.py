"""`feedlens run`'s banner: a ready-to-click one-time dashboard link, the Chromium-on-Linux
CA step, and --open opening a link of its own."""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import webbrowser
from types import SimpleNamespace

import pytest
from aiohttp import web

from feedlens import dashboard_cli, run
from feedlens.service import ServiceConfig, init_app
from tests.service_support import real_runtime, write_rules

LINK = re.compile(r"dashboard  (http://127\.0\.0\.1:(\d+)/\?code=[A-Za-z0-9_-]{40,})")


def args(**extra) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    run.add_run_parser(parser.add_subparsers())
    return parser.parse_args(["run", *extra.get("argv", [])])


def banner_for(tmp_path, capsys, monkeypatch, argv=()) -> tuple[str, list[str]]:
    runtime = real_runtime(tmp_path / "data", write_rules(tmp_path / "rules"))
    runner = web.AppRunner(init_app(ServiceConfig(runtime)))
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", opened.append)  # the user's browser: not in a test
    run.Banner(args(argv=list(argv)), tmp_path / "data", SimpleNamespace(service=runner)).running()
    return capsys.readouterr().out, opened


def test_the_banner_prints_a_one_time_dashboard_link(tmp_path, capsys, monkeypatch):
    out, opened = banner_for(tmp_path, capsys, monkeypatch)
    match = LINK.search(out)
    assert match, out
    assert "certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n feedlens -i" in out
    assert opened == []


def test_open_opens_another_link_than_the_printed_one(tmp_path, capsys, monkeypatch):
    out, opened = banner_for(tmp_path, capsys, monkeypatch, ["--open"])
    printed = LINK.search(out).group(1)
    assert len(opened) == 1 and opened[0] != printed
    assert LINK.search("dashboard  " + opened[0])


# ---- `feedlens dashboard`: a fresh link later ----------------------------------------------

async def test_feedlens_dashboard_asks_the_running_service_for_a_fresh_link(
        aiohttp_client, tmp_path, capsys):
    runtime = real_runtime(tmp_path / "data", write_rules(tmp_path / "rules"))
    client = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))
    token = (tmp_path / "data" / "token").read_text().strip()
    cli = argparse.Namespace(data_dir=str(tmp_path / "data"), service_port=client.port, open=False)
    assert await asyncio.to_thread(dashboard_cli.cmd_dashboard, cli) == 0  # blocking HTTP
    out = capsys.readouterr().out
    assert token not in out
    code = re.search(r"dashboard  http://127\.0\.0\.1:\d+/\?code=([A-Za-z0-9_-]{40,})", out).group(1)
    assert (await client.get(f"/?code={code}", allow_redirects=False)).status == 303
    client.session.cookie_jar.clear()
    assert (await client.get(f"/?code={code}", allow_redirects=False)).status == 401  # spent


def test_feedlens_dashboard_says_when_feedlens_is_not_running(tmp_path, capsys):
    (tmp_path / "token").write_text("x" * 43 + "\n")
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    cli = argparse.Namespace(data_dir=str(tmp_path), service_port=port, open=False)
    assert dashboard_cli.cmd_dashboard(cli) == 1
    assert "is `feedlens run` running?" in capsys.readouterr().err
    cli = argparse.Namespace(data_dir=str(tmp_path / "none"), service_port=port, open=False)
    assert dashboard_cli.cmd_dashboard(cli) == 1
    assert "no token in" in capsys.readouterr().err


@pytest.mark.parametrize("household,origin", [
    ("192.168.1.10", "https://192.168.1.10:8443"), ("[fd00::10]:9443", "https://[fd00::10]:9443"),
    ("fd00::10", "https://[fd00::10]:8443")])
def test_the_household_urls_bracket_an_ipv6_address(tmp_path, household, origin):
    out = run.banner(args(argv=["--household", household]), tmp_path)
    proxy = origin.replace("https://", "http://").rsplit(":", 1)[0] + ":8080"
    assert f"household  {origin}/  (" in out and f"PAC {origin}/proxy.pac;" in out
    assert f"proxy      {proxy}  (" in out
