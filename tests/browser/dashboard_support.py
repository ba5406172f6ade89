"""Helpers for the dashboard browser tests: a fresh `feedlens run` per test, its printed
one-time link, form submission in Chromium, the inline notice, and screenshots."""

from __future__ import annotations

import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from feedlens import i18n
from tests.e2e.conftest import Feedlens, wait_until

from .conftest import ARTIFACTS

SCREENSHOTS = ARTIFACTS / "screenshots"
LINK = re.compile(r"dashboard\s+(http://127\.0\.0\.1:\d+/\?code=[A-Za-z0-9_-]+)")


def printed_link(feedlens: Feedlens) -> str:
    """The one-time dashboard link `feedlens run` printed on its stdout."""
    found = wait_until(lambda: LINK.search(feedlens.proc.output()), 30, "the dashboard link")
    return found.group(1)


def words(lang: str) -> i18n.Translator:
    return i18n.translator(lang)


def submit(page, form_selector: str, fields: dict | None = None, button: str = "button") -> None:
    """Fill a form's fields (name -> value; selects by value) and submit it like a user."""
    form = page.locator(form_selector).first
    for name, value in (fields or {}).items():
        field = form.locator(f"[name={name}]")
        tag = field.evaluate("e => e.tagName")
        if tag == "SELECT":
            field.select_option(value)
        elif field.get_attribute("type") == "checkbox":
            field.set_checked(bool(value))
        else:
            field.fill(value)
    with page.expect_navigation():
        form.locator(button).first.click()
    assert page.url.startswith("http://127.0.0.1:"), page.url
    body = page.content()
    assert '{"error"' not in body and "<html" in body  # a page, never the raw JSON


def notice(page, selector: str = ".notice") -> tuple[str, bool]:
    """The inline message after a form: (text, shown as an error)."""
    box = page.locator(selector).first
    return box.inner_text().strip(), "bad" in (box.get_attribute("class") or "")


# Elements whose right edge passes the body's, unless a scrolling or clipping box holds them.
OVERFLOW = """() => {
  const right = document.body.getBoundingClientRect().right + 1;
  const held = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((e) => e.getBoundingClientRect().right > right && !held(e))
    .map((e) => e.tagName + "." + e.className).slice(0, 5);
}"""


def shoot(page, name: str) -> Path:
    """A full-page screenshot, once the page is checked not to overflow sideways (wide tables
    scroll inside their own container)."""
    sticking_out = page.evaluate(OVERFLOW)
    assert not sticking_out, f"{name}: sticking out of the page: {sticking_out}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_validation(page, form_selector: str) -> None:
    """Let a form reach the server with what the browser would refuse (server-side checks)."""
    page.locator(form_selector).first.evaluate("f => { f.noValidate = true; }")


class ForeignSite:
    """A page on another origin (another port of 127.0.0.1: same site, other origin) whose
    form posts to the service, as an attacker's page would."""

    def __init__(self, target: str, fields: dict):
        inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
        html = (f'<!doctype html><form method="post" action="{target}">{inputs}'
                '<button id="go">go</button></form>').encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args):
                pass
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> ForeignSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def ask_time(feedlens: Feedlens, minutes: int, note: str) -> None:
    """A minor's "ask for more time" form, through the proxy as the block page posts it."""
    data = urllib.parse.urlencode({"minutes": str(minutes), "note": note}).encode()
    status, _, _ = feedlens.fetch("https://www.bilibili.com/__feedlens/ask-time", data=data,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
