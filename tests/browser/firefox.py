"""Debian's Firefox ESR with the extension, driven over WebDriver BiDi (tests/browser/bidi.py).

The add-on is the AMO package that `extension/build.py --package` builds (Firefox's own
manifest), installed as a temporary add-on with BiDi's webExtension.install. Its moz-extension
uuid is fixed through the profile so the tests know its pages' addresses. Firefox goes through
the real proxy (profile prefs) and accepts the test CA through the session's acceptInsecureCerts.
Without firefox-esr these tests skip, except under CI=true where they fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_until

from .bidi import Bidi, value

FIREFOX = Path("/usr/bin/firefox-esr")
EXTENSION = Path(__file__).resolve().parents[2] / "extension"
ADDON_ID = "feedlens@feedlens.org"  # the manifest's browser_specific_settings.gecko.id
UUID = "7e5d1a3c-0f1e-4b2a-9c3d-feed1e25f00d"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_firefox() -> None:
    if not FIREFOX.exists():
        message = f"{FIREFOX} is missing: install Debian's firefox-esr (`python3 dev.py test` does as root)"
        if IN_CI:
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)


def prefs(proxy_port: int, lang: str) -> str:
    values = {
        "extensions.webextensions.uuids": json.dumps({ADDON_ID: UUID}),
        # permissions.request() from a click is granted without the doorhanger nobody can click
        "extensions.webextOptionalPermissionPrompts": False,
        "network.proxy.type": 1, "network.proxy.http": "127.0.0.1", "network.proxy.http_port": proxy_port,
        "network.proxy.ssl": "127.0.0.1", "network.proxy.ssl_port": proxy_port,
        "network.http.http3.enable": False, "intl.locale.requested": lang,
        "intl.accept_languages": lang, "browser.aboutwelcome.enabled": False,
    }
    return "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in values.items())


@dataclass
class Firefox:
    proc: subprocess.Popen
    bidi: Bidi
    home: str  # the welcome tab the add-on opened on install: an extension page to act from
    version: str
    closed: set = field(default_factory=set)

    def url(self, page: str) -> str:
        return f"moz-extension://{UUID}/{page}"

    # ---- scripts ---------------------------------------------------------------------------

    def evaluate(self, context: str, expression: str, *, shadow: bool = False):
        result = self.bidi.send("script.evaluate", {
            "expression": expression, "target": {"context": context}, "awaitPromise": True,
            "userActivation": True,
            "serializationOptions": {"maxDomDepth": None if shadow else 0, "maxObjectDepth": None,
                                     "includeShadowTree": "all" if shadow else "none"}})
        if result["type"] == "exception":
            raise AssertionError(f"{expression[:80]}: {result['exceptionDetails']['text']}")
        return value(result["result"])

    def call(self, context: str, function: str, node: str):
        """function(element) on one node, found before by its BiDi shared id."""
        result = self.bidi.send("script.callFunction", {
            "functionDeclaration": function, "target": {"context": context}, "awaitPromise": True,
            "arguments": [{"sharedId": node}]})
        if result["type"] == "exception":
            raise AssertionError(f"{function[:80]}: {result['exceptionDetails']['text']}")
        return value(result["result"])

    def wait(self, context: str, expression: str, timeout: float = 20, what: str = ""):
        return wait_until(lambda: self.evaluate(context, expression), timeout, what or expression,
                          interval=0.1)

    def errors(self) -> list[str]:
        """Uncaught errors in any page (Chromium's `pageerror`)."""
        return [e["params"]["text"] for e in self.bidi.events
                if e["method"] == "log.entryAdded" and e["params"].get("type") == "javascript"
                and e["params"].get("level") == "error"]

    # ---- tabs -----------------------------------------------------------------------------

    def contexts(self) -> list[dict]:
        return self.bidi.send("browsingContext.getTree", {"maxDepth": 0})["contexts"]

    def open(self, url: str) -> str:
        context = self.bidi.send("browsingContext.create", {"type": "tab"})["context"]
        self.bidi.send("browsingContext.navigate", {"context": context, "url": url, "wait": "interactive"})
        return context

    def open_page(self, page: str) -> str:
        """An extension page in a new tab. BiDi may not navigate to moz-extension: addresses, so
        the welcome tab opens it, as the extension's own pages do."""
        before = {c["context"] for c in self.contexts()}
        self.evaluate(self.home, f"browser.tabs.create({{url: {json.dumps(page)}}}).then(() => 1)")
        context = wait_until(lambda: next((c["context"] for c in self.contexts() if c["context"] not in before
                                           and c["url"].startswith(self.url(page))), None),
                             10, f"the tab of {page}", interval=0.1)
        self.wait(context, "document.readyState === 'complete'", 10)
        return context

    def close(self, context: str) -> None:
        self.bidi.send("browsingContext.close", {"context": context})

    def tab_id(self, url: str) -> int:
        """The extension's id of the one tab showing `url`."""
        return self.evaluate(self.home, f"browser.tabs.query({{url: {json.dumps(url)}}}).then(t => t.length === 1 ? t[0].id : -1)")

    # ---- input: real pointer events (the permission prompt and the page want a user's) ------

    def _center(self, context: str, node: str) -> tuple[int, int]:
        x, y = self.call(context, """(e) => { e.scrollIntoView({block: "center"});
            const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }""", node)
        return round(x), round(y)

    def _pointer(self, context: str, node: str, actions: list[dict]) -> None:
        x, y = self._center(context, node)
        self.bidi.send("input.performActions", {"context": context, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "x": x, "y": y, "duration": 0}, *actions]}]})

    def move(self, context: str, x: int, y: int) -> None:
        self.bidi.send("input.performActions", {"context": context, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "x": x, "y": y, "duration": 0}]}]})

    def hover(self, context: str, node: str) -> None:
        self._pointer(context, node, [])

    def click(self, context: str, node: str) -> None:
        self._pointer(context, node, [{"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}])

    def type(self, context: str, text: str) -> None:
        """Keys into the focused element, one character at a time (as a keyboard would)."""
        keys = [a for char in text for a in ({"type": "keyDown", "value": char}, {"type": "keyUp", "value": char})]
        self.bidi.send("input.performActions", {"context": context, "actions": [
            {"type": "key", "id": "keyboard", "actions": keys}]})

    def node(self, context: str, selector: str) -> str:
        found = self.evaluate(context, f"document.querySelector({json.dumps(selector)})", shadow=False)
        assert found and found.get("sharedId"), f"no {selector}"
        return found["sharedId"]

    def click_selector(self, context: str, selector: str) -> None:
        self.click(context, self.node(context, selector))

    def fill(self, context: str, selector: str, text: str) -> None:
        self.evaluate(context, f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            e.value = {json.dumps(text)}; e.dispatchEvent(new Event("input", {{bubbles: true}})); }})()""")

    def stop(self) -> None:
        try:
            self.bidi.send("session.end", {}, timeout=5)
        except Exception:
            pass
        self.bidi.close()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # Firefox and its content processes
            self.proc.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def build_xpi(out: Path) -> Path:
    """The AMO package, as `python extension/build.py --package` builds it (extension/stores.py)."""
    spec = importlib.util.spec_from_file_location("feedlens_stores", EXTENSION / "stores.py")
    stores = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stores)
    return stores.package(out)["firefox"]


def listening_address(log: Path, proc: subprocess.Popen, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"WebDriver BiDi listening on (ws://\S+)", log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if proc.poll() is not None:
            raise AssertionError(f"firefox-esr exited {proc.returncode}:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)
    raise AssertionError(f"firefox-esr did not start BiDi in {timeout} s:\n{log.read_text()[-2000:]}")


def launch(profile: Path, xpi: Path, *, proxy_port: int, lang: str = "en-US") -> Firefox:
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "user.js").write_text(prefs(proxy_port, lang), encoding="utf-8")
    log = profile.parent / f"{profile.name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(FIREFOX), "--headless", "--no-remote", "--profile", str(profile),
                                 "--remote-debugging-port", "0", "--window-size", "1280,900"],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        bidi = Bidi(listening_address(log, proc) + "/session")
        session = bidi.send("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        bidi.send("session.subscribe", {"events": ["log.entryAdded"]})
        installed = bidi.send("webExtension.install", {"extensionData": {"type": "archivePath", "path": str(xpi)}})
        assert installed["extension"] == ADDON_ID, installed
        firefox = Firefox(proc, bidi, "", session["capabilities"]["browserVersion"])
        # On install the add-on opens its welcome page (background.js, runtime.onInstalled).
        firefox.home = wait_until(lambda: next((c["context"] for c in firefox.contexts()
                                                if c["url"] == firefox.url("welcome.html")), None),
                                  15, "the welcome page", interval=0.1)
        firefox.wait(firefox.home, "document.readyState === 'complete'", 10)
        return firefox
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
