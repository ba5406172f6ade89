"""Headless Chromium with the extension, the real `feedlens run`, and the test pages.

Chromium is Debian's (/usr/bin/chromium). Without it these tests skip, except under CI=true
where they fail: CI must run them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from feedlens import pairing, paths
from tests.e2e.conftest import Feedlens, Proc, free_port, wait_ready, wait_until
from tests.e2e.replay import make_certs

from .hang_guard import guarded
from .site import PAGE_HOSTS, URLS, Site

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXTENSION = ROOT / "extension"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
PROFILE = "browser-e2e"
PROFILE_YAML = """\
title: Browser test
version: 1
description: What the browser tests expect; each rule is exercised by one of them.
rules:
  - id: hide-ads
    when: {provenance: promoted}
    action: hide
  - id: blur-sourdough
    when: {keywords: [sourdough]}
    action: blur
  - id: blur-gacha
    when: {keywords: [抽卡], platform: bilibili}
    action: blur
  - id: label-popular
    when: {provenance: popular}
    action: label
"""
# How each platform's item id is read from the links inside a card (as in the adapters' dom).
ID_PATTERNS = {"bilibili": r"/video/(BV[0-9A-Za-z]{10})", "x": r"/status/([0-9]+)",
               "youtube": r"(?:[?&]v=|/shorts/)([A-Za-z0-9_-]{11})"}


def require_browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (`python3 dev.py test` does as root)"
        if IN_CI:
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("CI=true: the playwright package is missing (pip install -e '.[test]')", pytrace=False)
        pytest.skip("the playwright package is missing (pip install -e '.[test]')")


# ---- servers ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def site_certs(tmp_path_factory) -> Path:
    from tests.e2e.replay import fixture_hosts
    directory = tmp_path_factory.mktemp("site-certs")
    make_certs(directory, sorted(set(fixture_hosts()) | set(PAGE_HOSTS)))
    return directory


@pytest.fixture(scope="session")
def site(site_certs):
    require_browser()
    server = Site(site_certs).start()
    yield server
    server.stop()


def start_feedlens(tmp: Path, site: Site, certs: Path) -> Feedlens:
    rules = tmp / "rules"
    shutil.copytree(paths.rules_dir(), rules)  # the extension writes rules: never into the repo
    (rules / "profiles" / f"{PROFILE}.yaml").write_text(PROFILE_YAML, encoding="utf-8")
    from tests.e2e.replay import fixture_hosts
    data_dir, proxy_port, service_port = tmp / "data", free_port(), free_port()
    hosts = sorted(set(fixture_hosts()) | set(PAGE_HOSTS))
    argv = [sys.executable, "-m", "feedlens.cli", "--rules", str(rules), "run",
            "--data-dir", str(data_dir), "--listen-port", str(proxy_port),
            "--service-port", str(service_port), "--profile", PROFILE,
            "--upstream-ca", str(certs / "ca.pem"),
            *[f"--resolve={h}=127.0.0.1:{site.port}" for h in hosts]]
    proc = Proc.start(argv, tmp / "feedlens.log")
    wait_ready(proc, service_port)
    return Feedlens(proc, data_dir, proxy_port, service_port, extra={"rules": rules})


@pytest.fixture(scope="session")
def feedlens(site, site_certs, tmp_path_factory):
    instance = start_feedlens(tmp_path_factory.mktemp("feedlens"), site, site_certs)
    yield instance
    instance.proc.stop()


def spki_hash(pem: Path) -> str:
    """What --ignore-certificate-errors-spki-list wants: base64(SHA-256(SubjectPublicKeyInfo))."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    cert = x509.load_pem_x509_certificate(pem.read_bytes())
    der = cert.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def store_rows(feedlens: Feedlens, platform: str, since: float) -> dict[str, int]:
    with sqlite3.connect(f"file:{feedlens.db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT provenance, COUNT(*) FROM items WHERE platform = ? AND time >= ?"
                            " GROUP BY provenance", (platform, since)).fetchall()
    return dict(rows)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Each browser test (with its fixtures' setup and teardown) under the hang guard."""
    timer = guarded(item.nodeid)
    try:
        yield
    finally:
        timer.cancel()


# ---- the browser --------------------------------------------------------------------------------

@dataclass
class Browser:
    context: object
    extension_id: str
    worker: object
    errors: list = field(default_factory=list)  # uncaught errors in any page

    def url(self, page: str) -> str:
        return f"chrome-extension://{self.extension_id}/{page}"

    def new_page(self):
        page = self.context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        return page

    def pair(self, feedlens: Feedlens) -> None:
        code, _ = pairing.new_code(feedlens.data_dir)
        page = self.new_page()
        page.goto(self.url("options.html"))
        page.fill("#url", f"http://127.0.0.1:{feedlens.service_port}")
        page.fill("#code", code)
        page.click("button[type=submit]")
        try:
            page.wait_for_selector("#status.ok", timeout=15_000)
        except Exception:
            raise AssertionError(f"pairing failed: {page.locator('#status').inner_text()!r}") from None
        page.close()

    def tab_id(self, page) -> int:
        self.wake()  # before bring_to_front: the waking page must not stay the active tab
        page.bring_to_front()
        return self.worker.evaluate(
            "chrome.tabs.query({active: true, lastFocusedWindow: true}).then(t => t[0].id)")

    def in_worker(self, expression: str):
        """Evaluate in the extension's service worker, woken first. Chromium stops an MV3 worker
        after ~30 s without events, and Playwright's evaluate then waits for a restart that
        nothing would cause (the test hangs): a message from an extension page starts it."""
        self.wake()
        return self.worker.evaluate(expression)

    def wake(self) -> None:
        page = self.context.new_page()
        try:
            page.goto(self.url("popup.html#wake"))  # loaded: a page closed mid-commit can hang
            page.evaluate("chrome.runtime.sendMessage({type: 'wake'}).catch(() => null)")
        finally:
            page.close()


def launch(playwright, user_dir: Path, *, lang: str = "en-US", proxy_port: int | None = None,
           spki: list[str] = (), resolve: int | None = None) -> Browser:
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-features=DisableLoadExtensionCommandLineSwitch",
            f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}",
            f"--lang={lang}", f"--ignore-certificate-errors-spki-list={','.join(spki)}"]
    if proxy_port:
        args.append(f"--proxy-server=127.0.0.1:{proxy_port}")
    if resolve:  # straight to the test site, no proxy
        args.append("--host-resolver-rules=" + ", ".join(f"MAP {h} 127.0.0.1:{resolve}" for h in PAGE_HOSTS)
                    + ", MAP api.bilibili.com 127.0.0.1:" + str(resolve))
    context = playwright.chromium.launch_persistent_context(
        str(user_dir), executable_path=str(CHROMIUM), headless=True, args=args, locale=lang,
        viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event(
        "serviceworker", timeout=15_000)
    return Browser(context, worker.url.split("/")[2], worker)


@pytest.fixture(scope="module")
def playwright_instance():
    require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        yield playwright


def proxied_browser(playwright, feedlens: Feedlens, user_dir: Path, lang: str) -> Browser:
    wait_until(feedlens.ca.exists, 30, "the mitmproxy CA")
    browser = launch(playwright, user_dir, lang=lang, proxy_port=feedlens.proxy_port,
                     spki=[spki_hash(feedlens.ca)])
    browser.pair(feedlens)
    return browser


# ---- reading closed shadow roots (what the user sees) through the DevTools protocol ----------

def _attrs(node) -> dict:
    values = node.get("attributes", [])
    return dict(zip(values[::2], values[1::2]))


def _text(node) -> str:
    if node.get("nodeType") == 3:
        return node.get("nodeValue", "")
    if node.get("nodeName") in ("STYLE", "svg"):
        return ""
    parts = [_text(c) for c in node.get("children", [])]
    for root in node.get("shadowRoots", []):
        parts.append(_text(root))
    return "".join(parts)


def _walk(node, parent=None):
    yield node, parent
    for child in node.get("children", []) + node.get("shadowRoots", []):
        yield from _walk(child, node)


def _find(node, predicate):
    return next((n for n, _ in _walk(node) if predicate(n)), None)


@dataclass
class Badge:
    id: str | None
    provenance: str
    decision: str
    text: str
    node: int             # backend node id of the badge button
    item: dict            # the item element's attributes
    reveal: dict | None   # the reveal button's attributes (None when absent)
    reveal_node: int | None


@dataclass
class Choice:
    """One category of the report picker, as shown."""
    text: str
    node: int | str
    disabled: bool


class Shadow:
    """Badges, overlay and toast as rendered, read with DOM.getDocument(pierce=true)."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def document(self) -> dict:
        return self.cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]

    def badges(self, platform: str) -> list[Badge]:
        out = []
        for node, parent in _walk(self.document()):
            if node.get("nodeName") != "FEEDLENS-BADGE" or not node.get("shadowRoots"):
                continue
            root = node["shadowRoots"][0]
            row = _find(root, lambda n: _attrs(n).get("class") == "row")
            button = _find(root, lambda n: "badge" in _attrs(n).get("class", "").split())
            reveal = _find(root, lambda n: _attrs(n).get("class") == "reveal")
            if button is None or "hidden" in _attrs(row):
                continue
            hrefs = [_attrs(n).get("href", "") for n, _ in _walk(parent)]
            found = [m.group(1) for h in hrefs if (m := re.search(ID_PATTERNS[platform], h))]
            attrs = _attrs(button)
            out.append(Badge(found[0] if found else None, attrs.get("data-provenance"),
                             attrs.get("data-decision"), _text(button).strip(), button["backendNodeId"],
                             _attrs(parent), _attrs(reveal) if reveal else None,
                             reveal["backendNodeId"] if reveal else None))
        return out

    def overlay(self, part: str = "panel") -> tuple[str, dict] | None:
        """(text, {button label: backend node id}) of the visible panel or toast."""
        host = _find(self.document(), lambda n: n.get("nodeName") == "FEEDLENS-OVERLAY")
        if host is None:
            return None
        box = _find(host["shadowRoots"][0], lambda n: _attrs(n).get("class") == part)
        if box is None or "hidden" in _attrs(box):
            return None
        buttons = {("input" if n["nodeName"] == "INPUT" else _text(n).strip()): n["backendNodeId"]
                   for n, _ in _walk(box) if n.get("nodeName") in ("BUTTON", "INPUT")}
        return _text(box), buttons

    def panel(self):
        """The overlay's visible panel (menu, report picker), None when closed."""
        host = _find(self.document(), lambda n: n.get("nodeName") == "FEEDLENS-OVERLAY")
        box = host and _find(host["shadowRoots"][0], lambda n: _attrs(n).get("class") == "panel")
        return None if box is None or "hidden" in _attrs(box) else box

    def marked(self, attribute: str) -> dict[str, tuple[str, int, dict]]:
        """The panel's elements carrying `attribute`: its value -> (text, node, attributes)."""
        box = self.panel()
        return {} if box is None else {_attrs(n)[attribute]: (_text(n), n["backendNodeId"], _attrs(n))
                                       for n, _ in _walk(box) if attribute in _attrs(n)}

    def panel_text(self) -> str:
        return _text(self.panel())

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def center(self, backend_id: int) -> tuple[float, float]:
        quad = self.cdp.send("DOM.getBoxModel", {"backendNodeId": backend_id})["model"]["border"]
        return sum(quad[0::2]) / 4, sum(quad[1::2]) / 4

    def click(self, backend_id: int) -> None:
        self.cdp.send("DOM.scrollIntoViewIfNeeded", {"backendNodeId": backend_id})
        x, y = self.center(backend_id)
        self.page.mouse.click(x, y)

    def hover(self, backend_id: int) -> None:
        self.cdp.send("DOM.scrollIntoViewIfNeeded", {"backendNodeId": backend_id})
        x, y = self.center(backend_id)
        self.page.mouse.move(x, y)


def open_feed(browser: Browser, name: str, *, pages: int = 1, page=None):
    """Load a test page and wait until it rendered `pages` feed responses."""
    page = page or browser.new_page()
    page.goto(URLS[name], wait_until="domcontentloaded")
    page.wait_for_function(f"Number(document.documentElement.dataset.feedPages || 0) >= {pages}",
                           timeout=20_000)
    return page


def wait_badges(shadow: Shadow, platform: str, expected: int, timeout: float = 15) -> list[Badge]:
    """Badges once `expected` of them show a provenance (marks can lag the store's batch)."""
    def ready():
        found = shadow.badges(platform)
        marked = [b for b in found if b.provenance != "unmarked"]
        return found if len(marked) >= expected else None
    return wait_until(ready, timeout, f"{expected} {platform} badges", interval=0.2)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def settle(seconds: float = 0.3) -> None:
    time.sleep(seconds)
