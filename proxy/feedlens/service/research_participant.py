"""The participant's page /research/participant and its forms: consent, pause/resume, withdraw,
"see what you donate" (the newest rows exactly as an export writes them) and deletion by time
range. Registered by research_api.setup; the same operations as the /api/research routes, on
the dashboard cookie with CSRF-checked forms (pages.form_action).

After a form the browser is redirected back to the page with a `notice` (and for deletion the
number of records deleted), so a reload never repeats the action.
"""

from __future__ import annotations

import shlex
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from .. import i18n, paths
from ..research import export
from ..research.consent import FIELDS, MAX_RETENTION_DAYS, ConsentError
from ..research.dictionary import NAMES
from . import validate as v
from .config import CONFIG
from .pages import form_action, page

BASE = "/research/participant"
PREVIEW_CHOICES = (20, 100)
DEFAULT_RETENTION = 90
HOUR = 3600.0
NOTICES = ("consented", "paused", "resumed", "withdrawn", "deleted", "bad_consent", "bad_range",
           "bad_time", "off", "confirm", "missing")
BAD_NOTICES = frozenset({"bad_consent", "bad_range", "bad_time", "off", "confirm", "missing"})
FORM_FIELDS = ("study_id", "consent_version", "fields", "retention_days", "study_key")
DELETE_RANGES = ("custom", "hour", "today", "all")
MAX_COUNT = 10**15


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get(BASE, page(render), name="page_research_participant")
    router.add_post(BASE + "/consent", form_action(form_consent),
                    name="page_research_participant_consent")
    router.add_post(BASE + "/pause", form_action(form_pause), name="page_research_participant_pause")
    router.add_post(BASE + "/disable", form_action(form_disable),
                    name="page_research_participant_disable")
    router.add_post(BASE + "/delete", form_action(form_delete),
                    name="page_research_participant_delete")


def _research(request: web.Request):
    return getattr(request.app[CONFIG].runtime, "research", None)


def _back(lang: str, anchor: str, **params) -> str:
    """The page's address after a form: its language, the notice and its values."""
    return f"{BASE}?{urlencode({'lang': lang, **params})}#{anchor}"


# ---- the page ------------------------------------------------------------------------------

def _limit(text: str) -> int:
    if text not in {str(n) for n in PREVIEW_CHOICES}:
        raise ValueError(f"must be one of {', '.join(map(str, PREVIEW_CHOICES))}")
    return int(text)


async def render(request: web.Request, lang: str) -> tuple[str, dict]:
    params = v.query(request, {"lang": v.choice(("en", "zh")), "limit": _limit,
                               "notice": v.choice(NOTICES), "deleted": v.integer(0, MAX_COUNT),
                               "field": v.choice(FORM_FIELDS)})
    limit = params.get("limit", PREVIEW_CHOICES[0])
    t = i18n.translator(lang)
    code = params.get("notice")
    context = {"base": BASE, "limit": limit, "state": None, "preview_choices": PREVIEW_CHOICES,
               "notice": notice_text(code, params.get("field"), params.get("deleted", 0), t),
               "notice_bad": code in BAD_NOTICES}
    research = _research(request)
    if research is not None:
        now = research.clock()
        state = await research.state()
        context.update(
            state=state, preview=await research.preview(limit),
            total=await research.store.run_read(lambda conn: export.count(conn, now=now)),
            command_lines=commands(request.app[CONFIG].runtime.config.data_dir),
            consented_fields=field_names((state.get("consent") or {}).get("fields") or (), t),
            fields=FIELDS, columns=NAMES, max_retention=MAX_RETENTION_DAYS,
            default_retention=DEFAULT_RETENTION)
    return "research/participant.html", context


def notice_text(code: str | None, field: str | None, deleted: int,
                t: i18n.Translator) -> str | None:
    """The line after a form: what happened, or which field to check and its rule."""
    if code is None:
        return None
    label = t(f"participant.form_label.{field}") if field else ""
    rule = t(f"participant.rules.{field}", max=MAX_RETENTION_DAYS) if field else ""
    return t(f"participant.notice.{code}", n=deleted, field=label, rule=rule)


def field_names(fields, t: i18n.Translator) -> str:
    return ", ".join(t.get(f"participant.field.{f}.label", f) for f in fields)


def commands(data_dir) -> dict[str, list[str]]:
    """The command lines to show, naming the data dir only when it is not the default one."""
    where = [] if Path(data_dir) == paths.data_dir() else ["--data-dir", str(data_dir)]

    def line(*words: str) -> str:
        return shlex.join(["feedlens", *words])
    return {
        "export": [line("export", *where, "--format", fmt, "-o", f"feedlens-research.{fmt}")
                   for fmt in export.FORMATS],
        "dictionary": [line("export", "--dictionary")],
        "cli": [line("research", *where, "status"), line("research", *where, "preview", "--limit", "20"),
                line("research", *where, "pause"), line("research", *where, "resume"),
                line("research", *where, "delete", "--since", "2026-11-01", "--until", "2026-11-02"),
                line("research", *where, "disable")],
    }


# ---- the forms -----------------------------------------------------------------------------

async def form_consent(request: web.Request, lang: str, form: dict) -> str:
    research = _research(request)
    if research is None:
        return _back(lang, "state", notice="missing")
    fields = [name for name in FIELDS if form.get(f"field_{name}")]
    study_key = str(form.get("study_key", "")).strip() or None
    try:
        retention = int(str(form.get("retention_days", "")).strip())
    except ValueError:
        return _back(lang, "consent", notice="bad_consent", field="retention_days")
    try:
        await research.enable(str(form.get("study_id", "")).strip(),
                              str(form.get("consent_version", "")).strip(), fields, retention,
                              study_key=study_key)
    except ConsentError as exc:  # its message starts with the field's name
        field = str(exc).split(":", 1)[0]
        return _back(lang, "consent", notice="bad_consent",
                     field=field if field in FORM_FIELDS else "study_id")
    except ValueError:  # the only other refusal: a malformed study key
        return _back(lang, "consent", notice="bad_consent", field="study_key")
    return _back(lang, "state", notice="consented")


async def form_pause(request: web.Request, lang: str, form: dict) -> str:
    research = _research(request)
    if research is None:
        return _back(lang, "state", notice="missing")
    await research.state()  # reads the saved state on first use
    if not research.enabled:
        return _back(lang, "controls", notice="off")
    paused = str(form.get("paused", "")) == "1"
    await research.pause(paused)
    return _back(lang, "controls", notice="paused" if paused else "resumed")


async def form_disable(request: web.Request, lang: str, form: dict) -> str:
    research = _research(request)
    if research is None:
        return _back(lang, "state", notice="missing")
    await research.disable()
    return _back(lang, "state", notice="withdrawn")


async def form_delete(request: web.Request, lang: str, form: dict) -> str:
    research = _research(request)
    if research is None:
        return _back(lang, "state", notice="missing")
    if not form.get("confirm"):
        return _back(lang, "delete", notice="confirm")
    try:
        since, until = delete_range(form, time.time())
    except ValueError:
        return _back(lang, "delete", notice="bad_time")
    if since is not None and until is not None and since >= until:
        return _back(lang, "delete", notice="bad_range")
    deleted = await research.delete(since, until)
    return _back(lang, "delete", notice="deleted", deleted=deleted)


def delete_range(form: dict, now: float) -> tuple[float | None, float | None]:
    """[since, until) in unix seconds (None: open) from the form's choice or its two inputs.

    datetime-local values carry no zone: they are this computer's local time, as the browser
    showing the page runs on the same machine as the service."""
    choice = str(form.get("range", "custom"))
    if choice == "hour":
        return now - HOUR, None
    if choice == "today":
        midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.timestamp(), None
    if choice == "all":
        return None, None
    if choice != "custom":
        raise ValueError(f"unknown range {choice!r}")
    since, until = (_local_time(str(form.get(name, ""))) for name in ("since", "until"))
    if since is None and until is None:
        raise ValueError("a custom range needs a start or an end")
    return since, until


def _local_time(text: str) -> float | None:
    text = text.strip()
    return datetime.fromisoformat(text).timestamp() if text else None
