"""Household mode in real Chromium: `feedlens run --household` on a LAN address in a network
namespace the test makes (the address is on the namespace's own interface; no other machine
sees it), with Chromium started inside the same namespace. The LAN dashboard refuses without
the login, lets the parent in with the PIN, refuses the extension's token, gives a child only
the block page and the time request, and locks a client out after repeated wrong PINs.

Needs root (ip netns); without it the test skips, except under CI=true where it fails.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from feedlens import paths
from feedlens.minors.pin import MAX_FAILURES
from tests.e2e.conftest import Proc, free_port, wait_until

from .conftest import CHROMIUM, IN_CI, spki_hash

ADDRESS = "10.213.77.1"  # on the namespace's interface only
PIN = "tablet-evening-42"


def netns_or_skip() -> None:
    if os.geteuid() == 0 and shutil.which("ip"):
        return
    message = "household browser test: needs root and `ip` for a network namespace"
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def netns():
    netns_or_skip()
    name = f"feedlens-hh-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for command in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", f"{ADDRESS}/32", "dev", "lo"]):
            subprocess.run(["ip", "netns", "exec", name, *command], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.fixture(scope="module")
def household(netns, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("household")
    data_dir, rules = tmp / "data", tmp / "rules"
    shutil.copytree(paths.rules_dir(), rules)
    cli = [sys.executable, "-m", "feedlens.cli"]
    subprocess.run([*cli, "parent", "--data-dir", str(data_dir), "set-pin", "--pin-stdin"],
                   input=PIN + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    argv = ["ip", "netns", "exec", netns, *cli, "--rules", str(rules), "run", "--data-dir", str(data_dir),
            "--listen-port", str(free_port()), "--service-port", str(free_port()),
            "--household", f"{ADDRESS}:{port}"]
    proc = Proc.start(argv, tmp / "feedlens.log")
    try:
        wait_until(lambda: proc.alive() and "household dashboard at" in proc.output(), 60,
                   "the household dashboard to start")
        yield {"origin": f"https://{ADDRESS}:{port}", "port": port, "data": data_dir, "tmp": tmp,
               "netns": netns, "token": (data_dir / "token").read_text().strip()}
    finally:
        proc.stop()
        print(proc.output()[-3000:])


@pytest.fixture(scope="module")
def chromium(household):
    """Chromium inside the namespace (Playwright talks to it over a pipe, not the network);
    it trusts the dashboard's certificate by its key, as an enrolled device trusts the CA."""
    from playwright.sync_api import sync_playwright
    wrapper = household["tmp"] / "chromium-in-netns"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {household["netns"]} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    spki = spki_hash(household["data"] / "household" / "lan-cert.pem")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(wrapper), headless=True, args=[
            "--no-sandbox", "--disable-gpu", f"--ignore-certificate-errors-spki-list={spki}"])
        yield browser
        browser.close()


def test_the_certificate_is_the_cas_for_the_lan_address(household):
    """An enrolled device's view: the chain verifies against feedlens's CA for this IP."""
    ca = household["data"] / "mitmproxy" / "mitmproxy-ca-cert.pem"
    script = ("import socket, ssl, sys; c = ssl.create_default_context(cafile=sys.argv[1]);"
              f"s = c.wrap_socket(socket.create_connection(('{ADDRESS}', {household['port']})),"
              f" server_hostname='{ADDRESS}'); print(s.version())")
    done = subprocess.run(["ip", "netns", "exec", household["netns"], sys.executable, "-c", script, str(ca)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.startswith("TLS"), done.stderr


def login(page, origin: str | None, password: str) -> str:
    """Log in on /login, or on the login form the page shows now (origin None)."""
    if origin is not None:
        page.goto(f"{origin}/login")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page.content()


def test_the_lan_dashboard_for_the_parent_and_the_child(household, chromium):
    origin = household["origin"]
    parent = chromium.new_context(locale="en-US")
    page = parent.new_page()
    refused = page.goto(f"{origin}/parent")
    assert refused.status == 401 and page.locator("input[name=password]").count() == 1

    html = login(page, None, PIN)  # the form the refusal showed: back to /parent after it
    assert page.url == f"{origin}/parent" and 'href="/enrol"' in html
    assert page.goto(f"{origin}/rules").status == 200  # the rest of the dashboard, forwarded

    # the extension's token is not welcome here, logged in or not
    parent.set_extra_http_headers({"Authorization": f"Bearer {household['token']}"})
    token = page.goto(f"{origin}/parent")
    assert token.status == 403 and "lan_token_refused" in page.content()
    parent.close()

    child = chromium.new_context(locale="en-US").new_page()
    for path in ("/", "/parent", "/rules", "/setup/ca.pem", "/enrol"):
        assert child.goto(f"{origin}{path}").status == 401, path
    assert child.goto(f"{origin}/api/health").status == 401
    assert child.goto(f"{origin}/blocked").status == 200
    child.select_option("select[name=minutes]", "15")
    child.click("form[action='/__feedlens/ask-time'] button[type=submit]")
    child.wait_for_load_state()
    assert "15" in child.content()
    with sqlite3.connect(household["data"] / "feedlens.sqlite3") as conn:
        asked = conn.execute("SELECT device, minutes, status FROM minors_time_requests").fetchall()
    assert asked == [(f"addr:{ADDRESS}", 15, "pending")]


def test_repeated_wrong_pins_lock_this_client_out(household, chromium):
    page = chromium.new_context(locale="en-US").new_page()
    answers = [login(page, household["origin"], "not-the-pin") for _ in range(MAX_FAILURES)]
    assert all("Wrong PIN or password." in a for a in answers[:-1])
    assert "Too many wrong tries" in answers[-1]  # the last wrong one starts the lockout
    assert "Too many wrong tries" in login(page, household["origin"], PIN)  # even the right one
    assert page.goto(f"{household['origin']}/parent").status == 401
