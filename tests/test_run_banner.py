"""`feedlens run`'s banner: a ready-to-click one-time dashboard link, the Chromium-on-Linux
CA step, and --open opening a link of its own."""

from __future__ import annotations

import argparse
import re
import webbrowser
from types import SimpleNamespace

from aiohttp import web

from feedlens import run
from feedlens.service import ServiceConfig, init_app
from tests.service_support import real_runtime, write_rules

LINK = re.compile(r"dashboard  (http://127\.0\.0\.1:(\d+)/\?token=[A-Za-z0-9_-]{40,})")


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
