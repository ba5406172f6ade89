"""The admin page (/admin): log in with the admin token once, then list and create studies, add
a consent version, make invitation codes and read the researcher's view with its charts.
The security model is admin_session's; the pages are render's; the view's data and charts are
admin_view's. Every form answers with a redirect (a reload never repeats it) or, for new
invitation codes, a page that shows them once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from . import admin_session as session, admin_view, studies
from .config import ServerConfig
from .render import language, page

CONFIG = web.AppKey("admin_config", ServerConfig)
POOL_OF = web.AppKey("admin_pool_of", object)  # app -> its asyncpg pool (made on startup)


def setup(app: web.Application, config: ServerConfig, pool_of) -> None:
    app[CONFIG], app[POOL_OF] = config, pool_of
    session.setup(app)
    app.add_routes([
        web.get("/admin", home),
        web.post("/admin/login", login),
        web.post("/admin/logout", admin_form(logout)),
        web.post("/admin/studies", admin_form(create)),
        web.get("/admin/studies/{study}", admin_page(study_page)),
        web.post("/admin/studies/{study}/consent", admin_form(add_consent)),
        web.post("/admin/studies/{study}/invitations", admin_form(invite)),
    ])


async def _with_conn(request: web.Request, work):
    async with request.app[POOL_OF](request.app).acquire() as conn:
        return await work(conn)


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def message(request: web.Request, lang: str, key: str, status: int, detail: str = "",
            back: str = "/admin") -> web.Response:
    return page(request, "message.html", lang, {"message_key": key, "detail": detail,
                                                 "back": f"{back}?lang={lang}"}, status=status)


def _login_page(request: web.Request, lang: str, status: int = 200, failed: bool = False):
    return page(request, "login.html", lang, {"failed": failed}, status=status)


# ---- wrappers: the session on pages, the session + origin + csrf on forms ------------------

Render = Callable[[web.Request, str, object], Awaitable[tuple[str, dict]]]


def admin_page(render: Render):
    async def handler(request: web.Request) -> web.Response:
        lang = language(request)
        secret = session.session(request)
        if secret is None or not session.host_allowed(request, request.app[CONFIG]):
            return _login_page(request, lang, status=401)
        try:
            template, context = await _with_conn(request, lambda conn: render(request, lang, conn))
        except studies.StudyError as exc:
            return message(request, lang, "study.admin.failed", exc.status, str(exc))
        return page(request, template, lang, {"admin": True, **context}, csrf=session.csrf(secret))
    return handler


def admin_form(act):
    async def handler(request: web.Request) -> web.Response:
        config = request.app[CONFIG]
        lang = language(request)
        secret = session.session(request) if session.same_origin(request, config) else None
        form = await request.post() if secret else None
        if form is None or not session.form_allowed(request, form, secret):
            return message(request, lang, "study.admin.refused", 403)
        lang = language(request, form)
        try:
            target = await act(request, lang, form, secret)
        except studies.StudyError as exc:
            return message(request, lang, "study.admin.failed", exc.status, str(exc))
        return target if isinstance(target, web.StreamResponse) else see_other(target)
    return handler


# ---- login ---------------------------------------------------------------------------------

async def home(request: web.Request) -> web.Response:
    lang = language(request)
    secret = session.session(request)
    if secret is None or not session.host_allowed(request, request.app[CONFIG]):
        return _login_page(request, lang)
    listed = await _with_conn(request, studies.listing)
    return page(request, "studies.html", lang, {"admin": True, "studies": listed,
                                                 "fields": admin_view.FIELDS},
                csrf=session.csrf(secret))


async def login(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    lang = language(request)
    if not session.same_origin(request, config):
        return message(request, lang, "study.admin.refused", 403)
    if session.login_wait(request):
        return message(request, lang, "study.admin.too_many", 429)
    form = await request.post()
    lang = language(request, form)
    response = see_other(f"/admin?lang={lang}")
    if not session.login(request, str(form.get("token", "")), response,
                         secure=config.origin.startswith("https:")):
        return _login_page(request, lang, status=401, failed=True)
    return response


async def logout(request, lang, form, secret):
    response = see_other(f"/admin?lang={lang}")
    session.logout(request, response)
    return response


# ---- studies -------------------------------------------------------------------------------

async def create(request, lang, form, secret):
    spec = admin_view.spec_from_form(form)
    made = await _with_conn(request, lambda conn: studies.create(conn, spec))
    return f"/admin/studies/{made['id']}?lang={lang}&notice=created"


async def add_consent(request, lang, form, secret):
    study_id = request.match_info["study"]
    version, texts = admin_view.consent_from_form(form)
    await _with_conn(request, lambda conn: studies.add_consent(conn, study_id, version, texts))
    return f"/admin/studies/{study_id}?lang={lang}&notice=consent"


async def invite(request, lang, form, secret):
    study_id = request.match_info["study"]
    count = admin_view.whole(form.get("count", "1"), "count")
    codes = await _with_conn(request, lambda conn: studies.invite(conn, study_id, count))
    origin = request.app[CONFIG].origin
    return page(request, "codes.html", lang, {
        "admin": True, "study_id": study_id, "origin": origin,
        "codes": [{"code": c, "link": f"{origin}/join?code={c}"} for c in codes]},
        status=201, csrf=session.csrf(secret))


async def study_page(request, lang, conn):
    study_id = request.match_info["study"]
    return "study.html", await admin_view.context(conn, study_id, lang,
                                                  request.query.get("notice"))
