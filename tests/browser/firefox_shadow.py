"""Badges, overlay and toast as rendered in Firefox: their closed shadow roots read through
BiDi's serialisation (includeShadowTree "all"), the Firefox side of conftest.Shadow. Nodes are
BiDi shared ids, which Firefox.click and .hover take."""

from __future__ import annotations

import re

from .conftest import ID_PATTERNS, Badge
from .firefox import Firefox

BADGES = """[...document.querySelectorAll("feedlens-badge")].map((b) => [b,
  [...b.parentElement.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")),
  Object.fromEntries([...b.parentElement.attributes].map((a) => [a.name, a.value]))])"""


def _value(node: dict) -> dict:
    return node.get("value") or {}


def _attrs(node: dict) -> dict:
    return _value(node).get("attributes") or {}


def _kids(node: dict) -> list[dict]:
    value = _value(node)
    return (value.get("children") or []) + ([value["shadowRoot"]] if value.get("shadowRoot") else [])


def _walk(node: dict):
    yield node
    for child in _kids(node):
        yield from _walk(child)


def _find(node: dict, predicate):
    return next((n for n in _walk(node) if predicate(n)), None)


def _text(node: dict) -> str:
    value = _value(node)
    if value.get("nodeType") == 3:
        return value.get("nodeValue", "")
    if value.get("localName") in ("style", "svg"):
        return ""
    return "".join(_text(child) for child in _kids(node))


def _classes(node: dict) -> list[str]:
    return _attrs(node).get("class", "").split()


class FirefoxShadow:
    def __init__(self, firefox: Firefox, context: str):
        self.firefox, self.context = firefox, context

    def badges(self, platform: str) -> list[Badge]:
        out = []
        for host, hrefs, item in self.firefox.evaluate(self.context, BADGES, shadow=True):
            root = _value(host).get("shadowRoot")
            if root is None:
                continue
            row = _find(root, lambda n: _classes(n) == ["row"])
            button = _find(root, lambda n: "badge" in _classes(n))
            reveal = _find(root, lambda n: _classes(n) == ["reveal"])
            if button is None or "hidden" in _attrs(row):
                continue
            found = [m.group(1) for h in hrefs if (m := re.search(ID_PATTERNS[platform], h))]
            attrs = _attrs(button)
            out.append(Badge(found[0] if found else None, attrs.get("data-provenance"),
                             attrs.get("data-decision"), _text(button).strip(), button["sharedId"],
                             item, _attrs(reveal) if reveal else None,
                             reveal["sharedId"] if reveal else None))
        return out

    def _box(self, part: str):
        host = self.firefox.evaluate(self.context, 'document.querySelector("feedlens-overlay")', shadow=True)
        if not host or not _value(host).get("shadowRoot"):
            return None
        box = _find(_value(host)["shadowRoot"], lambda n: _classes(n) == [part])
        return None if box is None or "hidden" in _attrs(box) else box

    def panel(self):
        """The overlay's visible panel (menu, report picker), None when closed."""
        return self._box("panel")

    def marked(self, attribute: str) -> dict[str, tuple[str, str, dict]]:
        """The panel's elements carrying `attribute`: its value -> (text, node, attributes)."""
        box = self.panel()
        return {} if box is None else {_attrs(n)[attribute]: (_text(n), n["sharedId"], _attrs(n))
                                       for n in _walk(box) if attribute in _attrs(n)}

    def panel_text(self) -> str:
        return _text(self.panel())

    def overlay(self, part: str = "panel") -> tuple[str, dict] | None:
        """(text, {button label: shared id}) of the visible panel or toast."""
        box = self._box(part)
        if box is None:
            return None
        buttons = {("input" if _value(n)["localName"] == "input" else _text(n).strip()): n["sharedId"]
                   for n in _walk(box) if _value(n).get("localName") in ("button", "input")}
        return _text(box), buttons

    def click(self, node: str) -> None:
        self.firefox.click(self.context, node)

    def hover(self, node: str) -> None:
        self.firefox.hover(self.context, node)

    def type(self, text: str) -> None:
        self.firefox.type(self.context, text)
