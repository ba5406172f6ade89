"""The pages the proxy answers a minor's device with: blocked, rest reminder, "asked".

Self-contained HTML (inline style, no scripts, no external resources, so it works on any site
and under any CSP), in zh-CN or English by Accept-Language. The "ask for more time" form posts
to ASK_PATH on the same host; the add-on answers that path itself and never forwards it.
"""

from __future__ import annotations

from html import escape

from mitmproxy import http

ASK_PATH = "/__feedlens/ask-time"
ASK_MINUTES = (15, 30, 60)

TEXT = {
    "en": {
        "lang": "en",
        "blocked_title": "Time for something else",
        "curfew": "It is night time: feeds are off from {start} to {end}.",
        "budget": "Today's feed time is used up ({budget} minutes).",
        "until": "You can scroll again at {until}.",
        "ask_title": "Ask for more time",
        "minutes": "Minutes",
        "note": "Why? (optional)",
        "ask": "Ask my parent",
        "asked_title": "Asked",
        "asked": "Asked for {minutes} more minutes. Your parent will see it on their dashboard.",
        "back": "Back",
        "rest_title": "Time for a break",
        "rest": "You have been scrolling for {minutes} minutes. Look away from the screen, stretch, "
                "drink some water.",
        "continue": "Continue",
        "footer": "feedlens · parental settings on this device",
        "post_only": "Use the form on the block page to ask for more time.",
        "bad_request": "That request could not be read; ask for 1 to 240 minutes.",
        "failed": "The request could not be saved. Please ask your parent directly.",
        "notice": "Ask for more time",
    },
    "zh": {
        "lang": "zh-CN",
        "blocked_title": "该休息了",
        "curfew": "现在是夜间时段：{start} 至 {end} 不能刷信息流。",
        "budget": "今天的刷信息流时间已用完（{budget} 分钟）。",
        "until": "{until} 后可以再看。",
        "ask_title": "申请更多时间",
        "minutes": "分钟",
        "note": "理由（可不填）",
        "ask": "向家长申请",
        "asked_title": "已申请",
        "asked": "已申请再用 {minutes} 分钟，家长会在控制台看到。",
        "back": "返回",
        "rest_title": "休息一下",
        "rest": "你已经连续刷了 {minutes} 分钟。看看远处，活动一下，喝点水。",
        "continue": "继续",
        "footer": "feedlens · 本设备的家长设置",
        "post_only": "请在拦截页面的表单里申请更多时间。",
        "bad_request": "无法读取这个申请；请申请 1 到 240 分钟。",
        "failed": "申请没能保存，请直接告诉家长。",
        "notice": "申请更多时间",
    },
}

STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f6f7f9;color:#1d2330;margin:0;display:flex;min-height:100vh;align-items:center;
justify-content:center}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px #0002;padding:2rem;max-width:30rem;
margin:1rem}
h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
label{display:block;margin:.5rem 0}select,input{font:inherit;padding:.3rem;width:100%;
box-sizing:border-box}button,a.button{font:inherit;margin-top:1rem;padding:.5rem 1rem;border:0;
border-radius:6px;background:#2563eb;color:#fff;text-decoration:none;display:inline-block}
footer{margin-top:1.5rem;color:#667;font-size:.85rem}
"""
HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "x-feedlens": "minors",
}


def _page(lang: str, title: str, body: str) -> bytes:
    t = TEXT[lang]
    return (f'<!doctype html><html lang="{t["lang"]}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
            f"<h1>{escape(title)}</h1>{body}<footer>{escape(t['footer'])}</footer>"
            f"</main></body></html>").encode("utf-8")


def _hhmm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def blocked_body(lang: str, *, reason: str, until_text: str | None, curfew: tuple[int, int] | None,
                 budget: int | None) -> bytes:
    t = TEXT[lang]
    if reason == "curfew" and curfew:
        why = t["curfew"].format(start=_hhmm(curfew[0]), end=_hhmm(curfew[1]))
    else:
        why = t["budget"].format(budget=budget if budget is not None else "?")
    parts = [f"<p>{escape(why)}</p>"]
    if until_text:
        parts.append(f"<p>{escape(t['until'].format(until=until_text))}</p>")
    options = "".join(f'<option value="{m}"{" selected" if m == 30 else ""}>{m}</option>'
                      for m in ASK_MINUTES)
    parts.append(
        f"<h2>{escape(t['ask_title'])}</h2>"
        f'<form method="post" action="{ASK_PATH}">'
        f'<label>{escape(t["minutes"])} <select name="minutes">{options}</select></label>'
        f'<label>{escape(t["note"])} <input name="note" maxlength="200"></label>'
        f'<button type="submit">{escape(t["ask"])}</button></form>')
    return _page(lang, t["blocked_title"], "".join(parts))


def rest_body(lang: str, minutes: int, url: str) -> bytes:
    t = TEXT[lang]
    body = (f"<p>{escape(t['rest'].format(minutes=minutes))}</p>"
            f'<a class="button" href="{escape(url, quote=True)}">{escape(t["continue"])}</a>')
    return _page(lang, t["rest_title"], body)


def asked_body(lang: str, minutes: int) -> bytes:
    t = TEXT[lang]
    body = (f"<p>{escape(t['asked'].format(minutes=minutes))}</p>"
            f'<a class="button" href="/">{escape(t["back"])}</a>')
    return _page(lang, t["asked_title"], body)


def message_body(lang: str, key: str) -> bytes:
    t = TEXT[lang]
    return _page(lang, t["notice"], f"<p>{escape(t[key])}</p>")


def response(body: bytes, status: int = 200) -> http.Response:
    return http.Response.make(status, body, HEADERS)
