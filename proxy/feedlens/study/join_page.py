"""The participant's join page on the server, /join?code=…: the study's consent text in the
participant's language and the raw fields it asks for — what `feedlens research join URL CODE`
shows before asking — read-only, ending with that command.

Joining stays on the participant's computer: the consent, the random participant id and the
upload key are kept by their own feedlens, which is the one that turns research mode on. The
page needs no login and sets no cookie; looking the code up leaves it unused."""

from __future__ import annotations

from aiohttp import web

from . import studies
from .render import language, page

MAX_CODE = 64


def pick(texts: dict[str, str], lang: str) -> tuple[str, str]:
    """(language tag, text) of the consent in the page's language, else English, else the first."""
    prefix = "zh" if lang == "zh" else "en"
    for tag, text in texts.items():
        if tag.lower().split("-")[0] == prefix:
            return tag, text
    if "en" in texts:
        return "en", texts["en"]
    return next(iter(texts.items()))


def setup(app: web.Application, config, pool_of) -> None:
    async def join(request: web.Request) -> web.Response:
        lang = language(request)
        code = request.query.get("code", "").strip()[:MAX_CODE]
        study, status = None, 200
        if code:
            try:
                async with pool_of(app).acquire() as conn:
                    study = await studies.invitation(conn, code)
            except studies.StudyError:
                status = 404
        context = {"study": study, "code": code, "origin": config.origin}
        if study is not None:
            context["consent_lang"], context["consent_text"] = pick(study["consent"]["text"], lang)
        return page(request, "join.html", lang, context, status=status)
    app.router.add_get("/join", join)
