"""The user says what they chose (issue 22): the "Your choices" page's per-platform form
(POST /choices/declare: the dashboard's cookie, the form's CSRF field and its own origin, like
every dashboard form, pages.form_action) and `POST /api/choices/declare` (token, like every
/api route). A declaration for every device or one device's address, or its withdrawal, for a
platform of the rules in use with a `choice:` section; the stored tracks begin a new epoch at
once (choices.watchdog.hold_tracks), so the page shows the new state straight away."""

from __future__ import annotations

import re
import time

from aiohttp import web

from ..choice import DEFAULT_CHOICE, choice_sections
from ..choices.declare import EVERY_DEVICE, STATES, declare, declarations, withdraw
from ..choices.track import OFF, ON
from ..choices.watchdog import hold_tracks
from . import validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .pages import form_action

ACTION = "/choices/declare"
FORM_STATES = {"off": OFF, "on": ON, "withdraw": None}
_DEVICE = re.compile(r"^(\*|[0-9A-Za-z.:%\[\]_-]{1,64})$")


def setup(app: web.Application) -> None:
    app.router.add_post(ACTION, form_action(declare_form), name="page_choices_declare")
    app.router.add_post("/api/choices/declare", api_declare, name="choices_declare")


def sections(app: web.Application) -> dict[str, str]:
    """Platforms with a `choice:` section in the rules in use, and their `declare:`."""
    return choice_sections(app[CONFIG].runtime.profile_engine(None).engine.adapters.adapters)


async def apply(app: web.Application, platform: str, state: str | None, device: str) -> bool:
    """Declare `state` (None: withdraw); True when something was stored or withdrawn."""
    known = sections(app)
    if platform not in known:
        raise ApiError(400, f"no choice to declare on {platform!r}; platforms with one: "
                            f"{', '.join(known) or 'none'}")
    if state is not None and state not in STATES:
        raise ApiError(400, f"state must be one of {', '.join(STATES)}")
    device = device.strip() or EVERY_DEVICE
    if not _DEVICE.match(device):
        raise ApiError(400, "device must be a client address, or '*' for every device")

    def write(db) -> bool:
        if state is None:
            done = withdraw(db, platform, device)
        else:
            declare(db, platform, state, time.time(), device)
            done = True
        hold_tracks(db, platform, DEFAULT_CHOICE)
        return done
    return await app[CONFIG].runtime.store.run_write(write)


async def declared_rows(app: web.Application) -> list[dict]:
    """For the page's form: each platform with a choice, whether it needs the user's word, and
    its declarations (every device first)."""
    said = await app[CONFIG].runtime.store.run_read(declarations)
    return [{"platform": platform, "declare": mode,
             "declarations": sorted(({"device": d.device, "state": d.state, "time": d.time}
                                     for d in said if d.platform == platform),
                                    key=lambda d: (d["device"] != EVERY_DEVICE, d["device"]))}
            for platform, mode in sections(app).items()]


async def declare_form(request: web.Request, lang: str, form: dict) -> str:
    platform, word = str(form.get("platform", "")), str(form.get("state", ""))
    if word not in FORM_STATES:
        raise ApiError(400, f"state must be one of {', '.join(FORM_STATES)}")
    await apply(request.app, platform, FORM_STATES[word], str(form.get("device", "")))
    notice = "withdrawn" if word == "withdraw" else f"declared_{word}"
    return f"/choices?lang={lang}&notice={notice}#declare-{platform}"


async def api_declare(request: web.Request) -> web.Response:
    """Body `{"platform": P, "state": "not_personalised"|"personalised", "device": ADDR}` or
    `{"platform": P, "withdraw": true, "device": ADDR}` (device: default every device)."""
    body = await v.json_body(request, {"platform": str, "state": str, "device": str, "withdraw": bool},
                             frozenset({"platform"}))
    if body.get("withdraw", False) == ("state" in body):
        raise ApiError(400, "give either 'state' or 'withdraw': true")
    done = await apply(request.app, body["platform"], body.get("state"), body.get("device", EVERY_DEVICE))
    rows = [r for r in await declared_rows(request.app) if r["platform"] == body["platform"]]
    return json_response({"platform": body["platform"], "changed": done,
                          "declarations": rows[0]["declarations"] if rows else []})
