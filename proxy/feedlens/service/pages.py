"""Dashboard sub-pages (/reports, /parent, /research) and their forms, on the dashboard's cookie.

A page handler is `async render(request, lang) -> (template_name, context)`; wrap it with
`page(render)` and register it under a route name starting with `page_` (middlewares lets
those through: the wrapper checks the dashboard cookie or the bearer token itself). The
template extends base.html and gets the navigation, `t`, `lang` and `csrf` (render.py).

A form handler is `async act(request, lang, form) -> redirect_path`; `form_action(act)` checks
the same credentials plus the form's `csrf` field (an HMAC of the token, bound to the form's
action path) and that the request comes from the dashboard's own origin (docs/security.md).
Templates put `m.csrf_field(action_path)` inside each <form method=post action=action_path>.
A refused or failed form answers with a page and a translated message, never JSON.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from .. import webforms
from . import render as r, security
from .config import CONFIG, TOKEN
from .lang import request_language
from .errors import ApiError

Render = Callable[[web.Request, str], Awaitable[tuple[str, dict]]]
Act = Callable[[web.Request, str, dict], Awaitable[str]]


def language(request: web.Request) -> str:
    return request_language(request)  # ?lang=, the picker's cookie, Accept-Language


def authorized(request: web.Request) -> bool:
    app = request.app
    cookie = security.dashboard_cookie_name(security.local_port(request, app[CONFIG].bind_port))
    return security.has_credentials(request, app[TOKEN], cookie)


def page(render: Render) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        lang = language(request)
        if not authorized(request):
            return r.locked(request, lang)
        template, context = await render(request, lang)
        token = request.app[TOKEN]
        return r.html_response(request, template, lang, {"current": request.path, **context},
                               csrf=lambda action: csrf_value(token, action))
    return handler


def csrf_value(token: str, action: str) -> str:
    return webforms.csrf_value(token, action)


def form_action(act: Act) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        lang = language(request)
        port = security.local_port(request, request.app[CONFIG].bind_port)
        own = security.same_origin_form(request.headers.get("Origin"),
                                        request.headers.get("Sec-Fetch-Site"), port)
        form = dict(await request.post()) if own and authorized(request) else None
        if form is None or not security.secret_matches(
                str(form.get("csrf", "")), csrf_value(request.app[TOKEN], request.path)):
            return message(request, lang, "forms.refused", 403)
        if form.get("lang") in ("en", "zh"):  # the page's language travels in the form
            lang = str(form["lang"])
        try:
            target = await act(request, lang, form)
        except ApiError as exc:  # a form without its own notice for this: still a page
            return message(request, lang, "forms.failed", exc.status, detail=exc.message)
        if isinstance(target, web.Response):  # a page shown once (the PIN's recovery code)
            return target
        raise web.HTTPSeeOther(target)
    return handler


def message(request: web.Request, lang: str, key: str, status: int, detail: str = "") -> web.Response:
    """A page with one translated message (and the service's detail), linking back."""
    return r.html_response(request, "message.html", lang,
                           {"message_key": key, "detail": detail}, status=status)
