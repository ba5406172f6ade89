"""The parent's dashboard page `/parent` and its forms (approve or decline a time request,
give extra time). Rendered on the server like the main dashboard: no scripts, the page's CSS
through the nonce. Every form carries a PIN field; the parent lock checks it like the API does.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import quote

from aiohttp import web

from .. import paths, phrases
from . import minors_api, profile_files, validate as v
from .config import CONFIG
from .errors import ApiError
from .pages import csrf_field, form_action, page

NOTICES = ("done", "wrong_pin", "locked_out", "no_pin", "pin_unset", "not_found", "bad_input",
           "unavailable")
AUDIT_ROWS = 20

TEXT = {
    "en": {
        "code": "en", "heading": "Parent", "pin": "Parent PIN", "pin_set": "set", "pin_unset":
            "not set: run `feedlens parent set-pin` to lock the minors' profiles",
        "pin_locked": "locked after wrong PINs until {}",
        "devices": "Devices", "no_devices": "No device has used the proxy yet.",
        "device": "Device", "profile": "Profile", "locked": "locked", "today": "Today",
        "week": "This week", "budget": "Daily budget", "remaining": "Left today",
        "unlimited": "unlimited", "minutes": "{} min", "state": "Now",
        "blocked": {"curfew": "curfew until {}", "budget": "budget spent", None: "blocked"},
        "open": "open", "rest_due": "rest reminder due",
        "decision": {"hide": "hidden", "blur": "blurred", "warn": "warned"},
        "filtered": "Filtered today", "nothing_filtered": "nothing",
        "requests": "Requests for more time", "no_requests": "No pending requests.",
        "asked": "{device} asks for {minutes} min", "note": "Note",
        "approve": "Approve", "decline": "Decline", "grant": "Give extra time",
        "assign": "Use profile",
        "signals": "Tamper signals", "no_signals": "None.",
        "signal": {"device_silent": "stopped using the proxy while expected",
                   "tls_untrusted": "does not trust the feedlens certificate (TLS handshakes fail)",
                   "extension_silent": "the browser extension stopped reporting"},
        "all_devices": "all devices", "audit": "Recent changes and refusals",
        "no_audit": "Nothing yet.", "when": "Time", "route": "Change", "outcome": "Outcome",
        "unavailable": "This feedlens runtime has no minors support.",
        "notice": {"done": "Done.", "wrong_pin": "Wrong PIN: nothing was changed.",
                   "locked_out": "Too many wrong PINs: try again later.",
                   "no_pin": "Enter the parent PIN.",
                   "pin_unset": "No parent PIN is set yet: run `feedlens parent set-pin`.",
                   "not_found": "That request is no longer pending.",
                   "bad_input": "Please check the form.",
                   "unavailable": "This feedlens runtime has no minors support."},
    },
    "zh": {
        "code": "zh", "heading": "家长", "pin": "家长密码", "pin_set": "已设置", "pin_unset":
            "未设置：运行 `feedlens parent set-pin` 以锁定未成年人配置",
        "pin_locked": "密码错误次数过多，锁定至 {}",
        "devices": "设备", "no_devices": "还没有设备使用代理。",
        "device": "设备", "profile": "配置", "locked": "已锁定", "today": "今日",
        "week": "本周", "budget": "每日时长", "remaining": "今日剩余",
        "unlimited": "不限", "minutes": "{} 分钟", "state": "当前",
        "blocked": {"curfew": "宵禁至 {}", "budget": "今日时长已用完", None: "已暂停"},
        "open": "可用", "rest_due": "该休息了",
        "decision": {"hide": "已隐藏", "blur": "已模糊", "warn": "已警示"},
        "filtered": "今日已过滤", "nothing_filtered": "无",
        "requests": "延长时间申请", "no_requests": "没有待处理的申请。",
        "asked": "{device} 申请 {minutes} 分钟", "note": "留言",
        "approve": "同意", "decline": "拒绝", "grant": "额外增加时间",
        "assign": "使用配置",
        "signals": "异常提示", "no_signals": "无。",
        "signal": {"device_silent": "在应使用时段停止使用代理",
                   "tls_untrusted": "不信任 feedlens 证书（TLS 握手失败）",
                   "extension_silent": "浏览器扩展已停止报告"},
        "all_devices": "所有设备", "audit": "最近的更改与拒绝",
        "no_audit": "暂无。", "when": "时间", "route": "操作", "outcome": "结果",
        "unavailable": "此 feedlens 运行环境不支持未成年人模式。",
        "notice": {"done": "已完成。", "wrong_pin": "密码错误，未做任何更改。",
                   "locked_out": "密码错误次数过多，请稍后再试。",
                   "no_pin": "请输入家长密码。",
                   "pin_unset": "尚未设置家长密码：请运行 `feedlens parent set-pin`。",
                   "not_found": "该申请已处理。",
                   "bad_input": "请检查表单内容。",
                   "unavailable": "此 feedlens 运行环境不支持未成年人模式。"},
    },
}

CSS = """
.parent table { border-collapse: collapse; margin: .5em 0 1em; }
.parent th, .parent td { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left;
  vertical-align: top; }
.parent form { display: inline-block; margin: .2em .4em .2em 0; }
.parent input[type=password] { width: 7em; }
.parent input[type=number] { width: 5em; }
.parent .notice { padding: .5em; background: #fff4d6; border: 1px solid #e0c060; }
.parent .signal { color: #a30000; }
.parent .lock { font-size: .85em; padding: 0 .3em; border: 1px solid #888; border-radius: 3px; }
"""


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/parent", page(render), name="page_parent")
    router.add_post("/parent/requests/{id}", form_action(decide), name="page_parent_decide")
    router.add_post("/parent/grant", form_action(grant), name="page_parent_grant")
    router.add_post("/parent/device", form_action(assign), name="page_parent_device")


# ---- rendering -----------------------------------------------------------------------------

async def render(request: web.Request, lang: str) -> tuple[str, str]:
    t = TEXT[lang]
    notice = request.query.get("notice")
    head = f"<h1>{escape(t['heading'])}</h1>"
    if notice in NOTICES:
        head += f'<p class="notice">{escape(t["notice"][notice])}</p>'
    try:
        data = await minors_api.build_overview(request.app)
    except ApiError:
        return f'<main class="parent">{head}<p>{escape(t["unavailable"])}</p></main>', CSS
    body = (head + _pin(data["pin"], t) + _devices(request, data["devices"], t)
            + _requests(request, data["requests"], t) + _signals(data["signals"], t)
            + _audit(data["audit"], t))
    return f'<main class="parent">{body}</main>', CSS


def _clock(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "–"


def _pin(status: dict, t: dict) -> str:
    if not status["set"]:
        state = t["pin_unset"]
    elif status.get("locked_until"):
        state = t["pin_locked"].format(_clock(status["locked_until"]))
    else:
        state = t["pin_set"]
    return f"<p>{escape(t['pin'])}: {escape(state)}</p>"


def _minutes(value, t: dict) -> str:
    return t["unlimited"] if value is None else t["minutes"].format(round(value))


def _filtered(counts: dict | None, names: dict[str, str], t: dict) -> list[str]:
    """Lines: each category (named from its phrase list), then each decision."""
    counts = counts or {}
    lines = [f"{names[c]} ({c}): {n}" if c in names else f"{c}: {n}"
             for c, n in sorted((counts.get("by_category") or {}).items(), key=lambda kv: -kv[1])]
    lines += [f"{t['decision'].get(d, d)}: {n}" for d, n in (counts.get("by_decision") or {}).items()]
    return lines


def category_names(app: web.Application, lang: str) -> dict[str, str]:
    """Category id -> its name in `lang`, from the phrase lists the profiles use."""
    try:
        library = phrases.library_for(paths.profiles_dir(app[CONFIG].rules_dir) / "any.yaml")
    except phrases.PhraseError:
        return {}
    return {c: pl.name(lang) for c, pl in library.lists.items()}


def _state(status: dict, t: dict) -> str:
    if status.get("blocked"):
        reason = status.get("reason")
        text = t["blocked"].get(reason, t["blocked"][None])
        return text.format(_clock(status.get("until"))) if "{}" in text else text
    return t["rest_due"] if status.get("rest_due") else t["open"]


def _devices(request: web.Request, devices: list[dict], t: dict) -> str:
    names = category_names(request.app, t["code"])
    profiles = profile_files.list_profiles(request.app[CONFIG].rules_dir, "")
    if not devices:
        return f"<h2>{escape(t['devices'])}</h2><p>{escape(t['no_devices'])}</p>"
    head = "".join(f"<th>{escape(t[k])}</th>" for k in
                   ("device", "profile", "today", "week", "budget", "remaining", "state",
                    "filtered", "grant"))
    rows = []
    for d in devices:
        usage, name = d.get("usage") or {}, d["name"]
        label = f"{escape(d['label'])} ({escape(name)})" if d.get("label") else escape(name)
        lock = f' <span class="lock">{escape(t["locked"])}</span>' if d.get("locked") else ""
        filtered = _filtered(d.get("filtered_today"), names, t)
        filtered_html = "<br>".join(escape(line) for line in filtered) or escape(t["nothing_filtered"])
        signals = "".join(f'<br><span class="signal">⚠ {escape(t["signal"].get(s["kind"], s["kind"]))}</span>'
                          for s in d.get("signals", []))
        rows.append(
            f"<tr><td>{label}{signals}</td><td>{escape(str(d.get('profile') or '–'))}{lock}"
            f"<br>{_assign_form(request, d, profiles, t)}</td>"
            f"<td>{_minutes(usage.get('today_minutes', 0), t)}</td>"
            f"<td>{_minutes(usage.get('week_minutes', 0), t)}</td>"
            f"<td>{_minutes(usage.get('budget_minutes'), t)}</td>"
            f"<td>{_minutes(usage.get('remaining_minutes'), t)}</td>"
            f"<td>{escape(_state(d.get('status') or {}, t))}</td><td>{filtered_html}</td>"
            f"<td>{_grant_form(request, name, t)}</td></tr>")
    return (f"<h2>{escape(t['devices'])}</h2><table><tr>{head}</tr>{''.join(rows)}</table>")


def _pin_field(t: dict) -> str:
    """The PIN input, and the page's language so the answer comes back in it."""
    return (f'<input type="hidden" name="lang" value="{t["code"]}">'
            f'<input type="password" name="pin" autocomplete="off" inputmode="numeric" '
            f'placeholder="{escape(t["pin"])}" aria-label="{escape(t["pin"])}">')


def _assign_form(request: web.Request, device: dict, profiles: list[dict], t: dict) -> str:
    options = "".join(
        f'<option value="{escape(p["name"])}"{" selected" if p["name"] == device.get("profile") else ""}>'
        f'{escape(p["name"])}</option>' for p in profiles if p.get("valid"))
    return (f'<form method="post" action="/parent/device">{csrf_field(request, "/parent/device")}'
            f'<input type="hidden" name="device" value="{escape(device["name"])}">'
            f'<select name="profile" aria-label="{escape(t["profile"])}">{options}</select> '
            f'{_pin_field(t)} <button type="submit">{escape(t["assign"])}</button></form>')


def _grant_form(request: web.Request, device: str, t: dict) -> str:
    return (f'<form method="post" action="/parent/grant">{csrf_field(request, "/parent/grant")}'
            f'<input type="hidden" name="device" value="{escape(device)}">'
            f'<input type="number" name="minutes" min="1" max="600" value="15"> {_pin_field(t)} '
            f'<button type="submit">{escape(t["grant"])}</button></form>')


def _requests(request: web.Request, pending: list[dict], t: dict) -> str:
    title = f"<h2>{escape(t['requests'])}</h2>"
    if not pending:
        return title + f"<p>{escape(t['no_requests'])}</p>"
    items = []
    for r in pending:
        action = f"/parent/requests/{int(r['id'])}"
        note = f"<br>{escape(t['note'])}: {escape(str(r['note']))}" if r.get("note") else ""
        forms = "".join(
            f'<form method="post" action="{action}">{csrf_field(request, action)}'
            f'<input type="hidden" name="approve" value="{value}">'
            + (f'<input type="number" name="minutes" min="1" max="600" value="{int(r["minutes"])}"> '
               if value == "1" else "")
            + f'{_pin_field(t)} <button type="submit">{escape(t[word])}</button></form>'
            for value, word in (("1", "approve"), ("0", "decline")))
        asked = t["asked"].format(device=r["device"], minutes=r["minutes"])
        items.append(f"<li>{escape(asked)} · {_clock(r.get('created'))}{note}<br>{forms}</li>")
    return title + f"<ul>{''.join(items)}</ul>"


def _signals(signals: list[dict], t: dict) -> str:
    title = f"<h2>{escape(t['signals'])}</h2>"
    if not signals:
        return title + f"<p>{escape(t['no_signals'])}</p>"
    items = "".join(
        f'<li class="signal">{escape(s["device"] or t["all_devices"])}: '
        f'{escape(t["signal"].get(s["kind"], s["kind"]))} · {_clock(s.get("since"))}'
        + (f" ({escape(str(s['detail']))})" if s.get("detail") else "") + "</li>"
        for s in signals)
    return title + f"<ul>{items}</ul>"


def _audit_row(r: dict) -> str:
    change = escape(r["route"]) + (f" ({escape(r['detail'])})" if r.get("detail") else "")
    return (f"<tr><td>{_clock(r['time'])}</td><td>{change}</td>"
            f"<td>{escape(r['device'] or '–')}</td><td>{escape(r['profile'] or '–')}</td>"
            f"<td>{escape(r['outcome'])}</td></tr>")


def _audit(rows: list[dict], t: dict) -> str:
    title = f"<h2>{escape(t['audit'])}</h2>"
    if not rows:
        return title + f"<p>{escape(t['no_audit'])}</p>"
    head = "".join(f"<th>{escape(t[k])}</th>" for k in ("when", "route", "device", "profile", "outcome"))
    body = "".join(_audit_row(r) for r in rows[:AUDIT_ROWS])
    return title + f"<table><tr>{head}</tr>{body}</table>"


# ---- forms ---------------------------------------------------------------------------------

def _back(notice: str, lang: str) -> str:
    return f"/parent?notice={quote(notice)}&lang={lang}"


def _lang(form: dict, fallback: str) -> str:
    return form["lang"] if form.get("lang") in TEXT else fallback


def _notice_for(exc: ApiError) -> str:
    if exc.status == 429:
        return "locked_out"
    if exc.status == 404:
        return "not_found"
    if exc.status == 503:
        return "unavailable"
    if exc.status == 403:
        if "no parent PIN is set" in exc.message:
            return "pin_unset"
        return "wrong_pin" if "wrong" in exc.message else "no_pin"
    return "bad_input"


def _form_minutes(form: dict) -> int | None:
    text = str(form.get("minutes", "")).strip()
    if not text:
        return None
    try:
        return v.integer(1, minors_api.MAX_GRANT_MINUTES)(text)
    except ApiError:
        raise ApiError(400, "bad minutes") from None


async def decide(request: web.Request, lang: str, form: dict) -> str:
    lang = _lang(form, lang)
    try:
        request_id = v.integer(1, 2**62)(request.match_info["id"])
        approve = str(form.get("approve")) == "1"
        await minors_api.apply_decision(request, request_id, approve,
                                        _form_minutes(form) if approve else None,
                                        pin=str(form.get("pin", "")))
    except ApiError as exc:
        return _back(_notice_for(exc), lang)
    return _back("done", lang)


async def grant(request: web.Request, lang: str, form: dict) -> str:
    lang = _lang(form, lang)
    try:
        device = minors_api.device_name(str(form.get("device", "")))
        minutes = _form_minutes(form)
        if minutes is None:
            raise ApiError(400, "minutes missing")
        await minors_api.apply_grant(request, device, minutes, pin=str(form.get("pin", "")))
    except ApiError as exc:
        return _back(_notice_for(exc), lang)
    return _back("done", lang)



async def assign(request: web.Request, lang: str, form: dict) -> str:
    lang = _lang(form, lang)
    try:
        device = minors_api.device_name(str(form.get("device", "")))
        await minors_api.apply_set_device(request, device, str(form.get("profile", "")), None,
                                          pin=str(form.get("pin", "")))
    except ApiError as exc:
        return _back(_notice_for(exc), lang)
    return _back("done", lang)
