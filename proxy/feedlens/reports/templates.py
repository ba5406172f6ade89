"""Turn (adapter, item kind, category) into the platform request the extension sends.

The adapter's `report:` section (docs/reports.md) says, per item kind, which endpoint to call
with which field template, how each category maps to the platform's own reason, and how to read
the answer. Nothing here sends anything: `prepare()` fills the template (leaving `{cookie:NAME}`
for the browser, so credentials never leave it) and `interpret()` reads the platform's answer.
"""

from __future__ import annotations

import json

from ..jmes import compile_expr
from . import categories as cats
from .categories import Category
from .filters import FILTERS
from .section import PLACEHOLDER, is_api, match_reason, rules_dir_of


class ReportError(ValueError):
    """A report that cannot be prepared: unknown kind or category, or missing ids."""


# ---- lookups ------------------------------------------------------------------------------

def report_kinds(adapter) -> list[str]:
    """Item kinds the adapter's report section covers, e.g. ["video", "comment"]."""
    return list(((adapter.report or {}).get("kinds") or {}))


def _kind(adapter, kind: str) -> dict:
    section = adapter.report
    if not section:
        raise ReportError(f"{adapter.platform} has no report section")
    spec = (section.get("kinds") or {}).get(kind)
    if spec is None:
        raise ReportError(f"{adapter.platform} cannot report a {kind!r} "
                          f"(kinds: {', '.join(report_kinds(adapter)) or 'none'})")
    return spec


def _categories(adapter) -> list[Category]:
    return cats.load_categories(rules_dir_of(adapter))


def _category(adapter, category_id: str) -> Category:
    found = cats.by_id(_categories(adapter)).get(category_id)
    if found is None:
        raise ReportError(f"unknown category {category_id!r}")
    return found


def _lang(adapter) -> str:
    return (adapter.raw or {}).get("lang", "en")


def _reason_dict(entry: dict | None) -> dict | None:
    if entry is None:
        return None
    out = {"code": entry["code"], "label": entry["label"]}
    for lang in ("zh", "en"):
        if lang in entry:
            out[lang] = entry[lang]
    return out


def resolve(adapter, kind: str, category: Category) -> tuple[str, dict | None]:
    """("api", reason entry) or ("manual", reason entry or None) for one category."""
    spec = _kind(adapter, kind)
    how, entry = match_reason(spec, category)
    if is_api(spec) and how == "reason":
        return "api", entry
    return "manual", entry


def _static_manual_url(adapter, spec: dict) -> str:
    """The kind's manual page when it does not depend on the item, else the platform's page."""
    url = spec.get("manual_url")
    if url and not PLACEHOLDER.search(url):
        return url
    return adapter.report["manual_url"]


# ---- the picker ---------------------------------------------------------------------------

def choices(adapter, kind: str, lang: str) -> list[dict]:
    """One row per category, in file order, for the picker."""
    spec = _kind(adapter, kind)
    rows = []
    for category in _categories(adapter):
        mode, entry = resolve(adapter, kind, category)
        rows.append({
            "category": category.id,
            "label": cats.label(category, lang),
            "group": category.group,
            "group_label": cats.group_label(category.group, lang),
            "topics": list(category.topics),
            "ref": category.ref,
            "mode": mode,
            "reason": _reason_dict(entry),
            "manual_url": _static_manual_url(adapter, spec),
            "channel_12377": category.channel_12377,
            "dsa": category.dsa,
        })
    return rows


# ---- preparing a request ------------------------------------------------------------------

def prepare(adapter, kind: str, category_id: str, item: dict, description: str,
            target: dict | None = None, lang: str | None = None) -> dict:
    """The request to send (api mode) or the page to open and text to paste (manual mode)."""
    spec = _kind(adapter, kind)
    category = _category(adapter, category_id)
    item = item or {}
    target = target or {}
    text = (description or "").strip() or default_description(category, lang or _lang(adapter))
    mode, entry = resolve(adapter, kind, category)
    manual_url = _manual_url(adapter, spec, item, target)
    if mode == "manual":
        return {"mode": "manual", "manual_url": manual_url, "reason": _reason_dict(entry),
                "category": category.id,
                "text": manual_text(category, entry, item, text, lang or _lang(adapter))}
    filler = _Filler(item, target, entry, text)
    fields = {name: filler.fill(template) for name, template in spec["fields"].items()}
    if filler.missing:
        raise ReportError(f"{adapter.platform} {kind} report needs "
                          f"{', '.join(dict.fromkeys(filler.missing))}")
    return {
        "mode": "api",
        "method": spec["method"],
        "url": spec["url"],
        "encoding": spec.get("encoding", "form"),
        "fields": fields,
        "cookies": list(dict.fromkeys(filler.cookies)),
        "origin": spec.get("origin") or _origin(spec["url"]),
        "reason": _reason_dict(entry),
        "category": category.id,
        "manual_url": manual_url,
    }


def default_description(category: Category, lang: str) -> str:
    """What is sent when the user typed nothing: the category and its legal reference."""
    if cats.is_zh(lang):
        return f"{category.zh}（{category.ref}）"
    return f"{category.en} ({category.ref})"


class _Filler:
    """Fills one template after another, collecting what is missing instead of stopping."""

    def __init__(self, item: dict, target: dict, entry: dict | None, description: str):
        self.item, self.target, self.entry, self.description = item, target, entry, description
        self.missing: list[str] = []
        self.cookies: list[str] = []

    def fill(self, template: str) -> str:
        return PLACEHOLDER.sub(self._one, template)

    def _one(self, match) -> str:
        if match.group("cookie"):
            self.cookies.append(match.group("cookie"))
            return match.group(0)  # the browser fills it from document.cookie
        if match.group("description"):
            return self.description
        if match.group("reason"):
            return self._reason(match.group("param"))
        if match.group("target"):
            return self._value(self.target, match.group("target"), "target")
        return self._item(match.group("item"), match.group("filter"))

    def _reason(self, param: str | None) -> str:
        if self.entry is None:
            self.missing.append("a reason")
            return ""
        if param is None:
            return str(self.entry["code"])
        return str((self.entry.get("params") or {}).get(param, ""))

    def _value(self, source: dict, name: str, prefix: str) -> str:
        value = source.get(name)
        if value is None or value == "":
            self.missing.append(f"{prefix}.{name}")
            return ""
        return str(value)

    def _item(self, name: str, filter_name: str | None) -> str:
        value = self._value(self.item, name, "item")
        if not value or not filter_name:
            return value
        try:
            return FILTERS[filter_name](value)
        except (KeyError, ValueError) as exc:
            self.missing.append(f"item.{name} usable by {filter_name} ({exc})")
            return ""


def _manual_url(adapter, spec: dict, item: dict, target: dict) -> str:
    """The kind's manual page for this item; the section's page when the item lacks the ids."""
    template = spec.get("manual_url")
    if not template:
        return adapter.report["manual_url"]
    filler = _Filler(item, target, None, "")
    url = filler.fill(template)
    if filler.missing or not url.startswith("https://"):
        return adapter.report["manual_url"]
    return url


def _origin(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


def manual_text(category: Category, entry: dict | None, item: dict, description: str,
                lang: str) -> str:
    """Text for the clipboard when the user finishes on the platform's own page."""
    zh = cats.is_zh(lang)
    lines = []
    if entry is not None:
        lines.append(("平台举报理由：" if zh else "Platform reason: ") + entry["label"])
    lines.append(("举报类别：" if zh else "Category: ") + cats.label(category, lang))
    lines.append(("依据：" if zh else "Legal basis: ") + category.ref)
    if item.get("url"):
        lines.append(("内容链接：" if zh else "Link: ") + str(item["url"]))
    if item.get("author"):
        lines.append(("发布者：" if zh else "Author: ") + str(item["author"]))
    lines.append(("说明：" if zh else "Details: ") + description)
    return "\n".join(lines)


# ---- reading the answer -------------------------------------------------------------------

def interpret(adapter, kind: str, http_status: int, body: str) -> tuple[str, str]:
    """("submitted"|"duplicate"|"rate_limited"|"failed", message) for the platform's answer."""
    spec = _kind(adapter, kind)
    if not is_api(spec):
        raise ReportError(f"{adapter.platform} {kind} reports are finished by hand; no answer to read")
    result = spec["result"]
    if http_status == 429:
        return "rate_limited", "the platform says: too many requests (HTTP 429)"
    if not http_status:
        return "failed", "no answer from the platform (network error)"
    data = _json(body)
    code = _search(result["code"], data)
    message = _search(result.get("message"), data)
    if code is None:
        where = f"HTTP {http_status}"
        return "failed", f"unexpected answer ({where})" if 200 <= http_status < 300 else where
    said = f"code {code}" + (f": {message}" if message not in (None, "") else "")
    # An error status is never a success, whatever the body says; it may still say why.
    outcomes = (("submitted", "ok", "report accepted"),
                ("duplicate", "duplicate", "already reported"),
                ("rate_limited", "rate_limited", "reporting too often"))
    for status, key, text in outcomes[0 if 200 <= http_status < 300 else 1:]:
        if _in(code, result.get(key, ())):
            return status, f"{text} ({said})"
    return "failed", f"the platform refused the report ({said}, HTTP {http_status})"


def _json(body: str):
    try:
        return json.loads(body) if body else None
    except (ValueError, TypeError):
        return None


def _search(expression: str | None, data):
    if expression is None or data is None:
        return None
    compiled, _ = compile_expr(expression)
    return compiled.search(data) if compiled else None


def _in(code, codes) -> bool:
    return str(code) in {str(c) for c in codes}
