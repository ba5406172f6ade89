"""The "Prepare a complaint" form of the dashboard's "Your choices" page (issue 22): from one
recorded revert, the complaint with its evidence bundle for the chosen jurisdiction (cn / eu),
prepared exactly as `feedlens choices complaint` does (reports.complaint.prepare_from with the
watchdog's read_case), then the report's page with its texts and the bundle download.
The service sits above both features, so it is the one place that may hand the case across."""

from __future__ import annotations

import time

from aiohttp import web

from ..choices.case import read_case
from ..reports import complaint
from ..reports.complaint_text import JURISDICTIONS
from .config import CONFIG
from .errors import ApiError
from .pages import form_action

ACTION = "/choices/complaint"


def setup(app: web.Application) -> None:
    app.router.add_post(ACTION, form_action(complaint_form), name="page_choices_complaint")


async def complaint_form(request: web.Request, lang: str, form: dict) -> str:
    jurisdiction = str(form.get("jurisdiction", ""))
    if jurisdiction not in JURISDICTIONS:
        raise ApiError(400, f"jurisdiction must be one of {', '.join(JURISDICTIONS)}")
    try:
        revert_id = int(str(form.get("revert", "")))
    except ValueError:
        raise ApiError(400, "no such revert") from None
    store = request.app[CONFIG].runtime.store
    try:
        report_id = await complaint.prepare_from(store, read_case, revert_id, jurisdiction, time.time())
    except LookupError:
        raise ApiError(404, f"no revert {revert_id}") from None
    return f"/reports/{report_id}?lang={lang}"
