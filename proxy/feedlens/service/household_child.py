"""What a child's device reaches on the LAN dashboard without a login: its block page (what
the proxy shows on a blocked feed page, with the device's own state) and "ask for more time";
also the PAC file and the language picker. Anything else asks for the parent's login.

The device is named as the proxy names it without a proxy login: by its address, weighed by
Minors.device_for like the proxy's own block page does.
"""

from __future__ import annotations

from aiohttp import web

from ..minors import blockpage
from ..minors.devices import addr_device
from ..minors.errors import MinorsError
from . import lang as lang_route, minors_actions, pac_route
from .config import CONFIG, SERVICE
from .lang import request_language


def setup(front: web.Application) -> None:
    front.router.add_get("/blocked", blocked, name="child_blocked")
    front.router.add_post(blockpage.ASK_PATH, ask_time, name="child_ask")
    front.router.add_get("/proxy.pac", pac, name="lan_pac")
    front.router.add_get("/lang", lang_route.set_language, name="lan_lang")


def _page(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, headers=dict(blockpage.HEADERS))


def _device(request: web.Request) -> tuple[object, str]:
    minors = minors_actions.minors_of(request.app[SERVICE])
    return minors, minors.device_for(None, addr_device(request.remote))


async def blocked(request: web.Request) -> web.Response:
    minors, device = _device(request)
    lang = request_language(request)
    now = minors.clock.now()
    status, limits = minors.status(device, now), minors.limits_for(device)
    until = minors.clock.local(status["until"]).strftime("%H:%M") if status["until"] else None
    return _page(blockpage.blocked_body(lang, reason=status["reason"] or "budget", until_text=until,
                                        curfew=limits.curfew, budget=limits.daily_minutes))


async def ask_time(request: web.Request) -> web.Response:
    minors, device = _device(request)
    lang = request_language(request)
    form = await request.post()
    try:
        asked = await minors.add_time_request(device, form.get("minutes", "30"), form.get("note", ""))
    except MinorsError:
        return _page(blockpage.message_body(lang, "bad_request"), 400)
    return _page(blockpage.asked_body(lang, asked["minutes"]))


async def pac(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    text = pac_route.body(service, service[CONFIG].household[0])
    return web.Response(text=text, content_type=pac_route.CONTENT_TYPE,
                        headers={"Cache-Control": "max-age=300"})
