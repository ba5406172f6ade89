"""HTML of the participant page /research/participant: research state and consent, the consent
form, pause and withdraw, "see what you donate" (the export's rows), deletion by time range and
the export commands. Pure functions of the data the view collects; no script anywhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from .consent import FIELDS, MAX_RETENTION_DAYS
from .dictionary import NAMES
from .participant_text import FIELD_TEXT, FORM_LABELS, TEXT

Csrf = Callable[[str], str]  # action path -> hidden csrf input
BASE = "/research/participant"
PREVIEW_CHOICES = (20, 100)
DEFAULT_RETENTION = 90
BAD_NOTICES = frozenset({"bad_consent", "bad_range", "bad_time", "off", "confirm", "missing"})

CSS = """
.notice { padding: .5rem .75rem; border-radius: 4px; background: #e6f4ea; }
.notice.bad { background: #fdecea; }
form.stack label, form.stack fieldset { display: block; margin: .4rem 0; }
form.inline { display: inline-block; margin: 0 .5rem .5rem 0; }
fieldset label { display: block; }
.explain { color: #4a525c; }
.preview { overflow-x: auto; }
.preview table { width: auto; font-size: .8rem; }
.preview td, .preview th { white-space: nowrap; width: auto; }
pre { background: #f0f2f4; padding: .5rem; overflow-x: auto; }
"""


def _when(ts: float | None) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{content}</section>'


def _rows(rows: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)


def _action(path: str, lang: str) -> str:
    return f"{BASE}{path}?lang={lang}"


def participant_page(data: dict, lang: str, csrf: Csrf) -> tuple[str, str]:
    t = TEXT[lang]
    head = [f"<h1>{escape(t['title'])}</h1>", notice(data, lang), f"<p>{escape(t['intro'])}</p>"]
    state = data["state"]
    if state is None:
        return "".join(head) + f"<p>{escape(t['missing'])}</p>", CSS
    body = head + [
        state_section(state, lang),
        what_section(t),
        consent_section(state, lang, csrf),
        controls_section(state, lang, csrf),
        preview_section(data["preview"], data["total"], data["limit"], lang),
        delete_section(lang, csrf),
        export_section(data["commands"], lang),
        f'<p><a href="/research?lang={lang}#mode">{escape(t["back"])}</a></p>',
    ]
    return "".join(body), CSS


def notice(data: dict, lang: str) -> str:
    code = data.get("notice")
    if code is None:
        return ""
    t = TEXT[lang]
    field = data.get("field")
    text = t["notice"][code].format(
        n=data.get("deleted", 0),
        field=FORM_LABELS[lang].get(field, field or ""),
        rule=t["rules"].get(field, "").format(max=MAX_RETENTION_DAYS))
    kind = "notice bad" if code in BAD_NOTICES else "notice"
    return f'<p class="{kind}" role="status">{escape(text)}</p>'


# ---- state and what is recorded -------------------------------------------------------------

def mode_text(state: dict, t: dict) -> str:
    if not state["enabled"]:
        return t["mode_off"]
    return t["mode_paused"] if state["paused"] else t["mode_on"]


def field_names(fields, lang: str) -> str:
    return ", ".join(FIELD_TEXT[lang].get(f, (f, ""))[0] for f in fields)


def state_section(state: dict, lang: str) -> str:
    t = TEXT[lang]
    rows = [(t["mode"], mode_text(state, t))]
    consent = state.get("consent")
    if consent:
        rows += [(t["study"], consent["study_id"]),
                 (t["consent_version"], consent["consent_version"]),
                 (t["fields"], field_names(consent["fields"], lang) or t["no_fields"]),
                 (t["retention"], t["days"].format(consent["retention_days"])),
                 (t["consented"], _when(consent["created"])),
                 (t["participant"], consent["participant"])]
    rows += [(t["records"], str(state.get("records", 0))), (t["first"], _when(state.get("first"))),
             (t["last"], _when(state.get("last")))]
    if state.get("problem"):
        rows.append((t["problem"], state["problem"]))
    return _section("state", t["state"], f"<table>{_rows(rows)}</table>")


def what_section(t: dict) -> str:
    paragraphs = (t["what_always"], t["what_fields"], t["what_never"], t["what_where"])
    return _section("what", t["what"], "".join(f"<p>{escape(p)}</p>" for p in paragraphs))


# ---- consent, pause, withdraw ---------------------------------------------------------------

def consent_section(state: dict, lang: str, csrf: Csrf) -> str:
    t = TEXT[lang]
    current = state.get("consent") or {}
    chosen = set(current.get("fields") or ())
    boxes = "".join(
        f'<label><input type=checkbox name="field_{f}" value=1{" checked" if f in chosen else ""}> '
        f'<b>{escape(FIELD_TEXT[lang][f][0])}</b> <span class=explain>— '
        f'{escape(FIELD_TEXT[lang][f][1])}</span></label>' for f in FIELDS)
    retention = current.get("retention_days", DEFAULT_RETENTION)
    form = (
        f'<form class=stack method=post action="{_action("/consent", lang)}">'
        f'{csrf(BASE + "/consent")}'
        f'<label>{escape(t["study_id_label"])} <input name=study_id required maxlength=64 '
        f'value="{escape(current.get("study_id", ""))}"></label>'
        f'<label>{escape(t["version_label"])} <input name=consent_version required maxlength=32 '
        f'value="{escape(current.get("consent_version", ""))}"></label>'
        f'<fieldset><legend>{escape(t["fields_legend"])}</legend>{boxes}</fieldset>'
        f'<label>{escape(t["retention_label"].format(max=MAX_RETENTION_DAYS))} '
        f'<input type=number name=retention_days required min=1 max={MAX_RETENTION_DAYS} '
        f'value="{int(retention)}"></label>'
        f'<label>{escape(t["key_label"])} <input type=password name=study_key maxlength=64 '
        f'autocomplete=off></label>'
        f'<button>{escape(t["replace"] if current else t["give"])}</button></form>')
    lead = f"<p>{escape(t['consent_now'])}</p>" if current else ""
    return _section("consent", t["consent"], lead + form)


def controls_section(state: dict, lang: str, csrf: Csrf) -> str:
    t = TEXT[lang]
    if not state["enabled"]:
        return _section("controls", t["controls"], f"<p>{escape(t['controls_off'])}</p>")
    paused = state["paused"]
    pause = (f'<form class=inline method=post action="{_action("/pause", lang)}">'
             f'{csrf(BASE + "/pause")}<input type=hidden name=paused value={0 if paused else 1}>'
             f'<button>{escape(t["resume"] if paused else t["pause"])}</button></form>')
    withdraw = (f'<form class=inline method=post action="{_action("/disable", lang)}">'
                f'{csrf(BASE + "/disable")}<button>{escape(t["withdraw"])}</button></form>')
    return _section("controls", t["controls"],
                    pause + withdraw + f"<p>{escape(t['withdraw_note'])}</p>")


# ---- see what you donate --------------------------------------------------------------------

def cell(value) -> str:
    """A value as the export writes it: None is an empty CSV cell (null in JSON Lines)."""
    return "" if value is None else str(value)


def preview_section(rows: list[dict], total: int, limit: int, lang: str) -> str:
    t = TEXT[lang]
    choices = " · ".join(
        f"<b>{escape(t['rows'].format(n))}</b>" if n == limit else
        f'<a href="{BASE}?limit={n}&amp;lang={lang}#preview">{escape(t["rows"].format(n))}</a>'
        for n in PREVIEW_CHOICES)
    content = [f"<p>{escape(t['show'])} {choices}</p>"]
    if not rows:
        content.append(f"<p>{escape(t['preview_none'])}</p>")
        return _section("preview", t["preview"], "".join(content))
    content.append(f"<p>{escape(t['preview_intro'].format(shown=len(rows), total=total))}</p>")
    head = "".join(f"<th>{escape(name)}</th>" for name in NAMES)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell(row[name]))}</td>" for name in NAMES)
                   + "</tr>" for row in rows)
    content.append(f'<div class=preview><table><thead><tr>{head}</tr></thead>'
                   f'<tbody>{body}</tbody></table></div>')
    return _section("preview", t["preview"], "".join(content))


# ---- delete and export ----------------------------------------------------------------------

def delete_section(lang: str, csrf: Csrf) -> str:
    t = TEXT[lang]
    quick = " ".join(f'<button name=range value={choice}>{escape(t[choice])}</button>'
                     for choice in ("hour", "today", "all"))
    form = (f'<form class=stack method=post action="{_action("/delete", lang)}">'
            f'{csrf(BASE + "/delete")}'
            f'<label>{escape(t["since"])} <input type=datetime-local name=since></label>'
            f'<label>{escape(t["until"])} <input type=datetime-local name=until></label>'
            f'<p class=explain>{escape(t["range_hint"])}</p>'
            f'<label><input type=checkbox name=confirm value=1 required> '
            f'{escape(t["confirm"])}</label>'
            f'<p><button name=range value=custom>{escape(t["delete_range"])}</button> '
            f'{escape(t["quick"])} {quick}</p></form>')
    return _section("delete", t["delete"], f"<p>{escape(t['delete_intro'])}</p>" + form)


def export_section(commands: dict[str, list[str]], lang: str) -> str:
    """commands: "export", "dictionary" and "cli", each a list of command lines."""
    t = TEXT[lang]

    def block(lines: list[str]) -> str:
        return "<pre><code>" + escape("\n".join(lines)) + "</code></pre>"
    content = (f"<p>{escape(t['export_intro'])}</p>" + block(commands["export"])
               + f"<p>{escape(t['dictionary'])}</p>" + block(commands["dictionary"])
               + f"<p>{escape(t['cli'])}</p>" + block(commands["cli"]))
    return _section("export", t["export"], content)
