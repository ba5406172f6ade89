"""The dashboard's words in English and Chinese, and a short "how long ago"."""

from __future__ import annotations

from html import escape

PROVENANCE_ORDER = ("followed", "search", "own", "personalized", "popular", "promoted", "unknown")


def provenance_rank(provenance: str) -> int:
    """Position in PROVENANCE_ORDER (unknown values last): bottom of a stack first."""
    order = PROVENANCE_ORDER
    return order.index(provenance) if provenance in order else len(order)


COUNTER_KEYS = ("responses_seen", "feed_responses", "items_marked", "errors", "tls_failures")

TEXT = {
    "en": {
        "title": "feedlens", "health": "Health", "problems": "Problems",
        "no_problems": "No problems: every adapter and the active profile loaded.",
        "today": "Today's feed", "items": "items", "nothing_today": "No feed items seen today yet.",
        "decisions": "Decisions: ", "profile": "Active profile", "adapters": "Adapters",
        "uptime": "Running for", "logged": "Items logged", "last_feed": "Last feed from",
        "generated": "Updated at",
        "ca": "Clients trust the CA",
        "ca_state": {True: "yes", False: "no: recent TLS handshakes failed", None: "not known yet"},
        "locked": "This page needs the dashboard link that `feedlens run` prints "
                  "(it carries your access token once). Open that link in this browser.",
        "counter": {"responses_seen": "Responses seen", "feed_responses": "Feed responses",
                    "items_marked": "Items marked", "errors": "Errors",
                    "tls_failures": "TLS failures (client does not trust the CA?)"},
        "provenance": {"followed": "followed", "personalized": "recommended", "popular": "popular",
                       "promoted": "ads", "search": "search", "own": "own", "unknown": "unknown"},
        "decision": {"keep": "kept", "label": "labelled", "blur": "blurred", "hide": "hidden",
                     "move_to_end": "moved to end"},
        "units": ("s", "min", "h", "d"), "ago": "{} ago",
    },
    "zh": {
        "title": "feedlens", "health": "运行状态", "problems": "问题",
        "no_problems": "没有问题：所有适配器和当前配置均已加载。",
        "today": "今日信息流", "items": "条", "nothing_today": "今天还没有看到信息流内容。",
        "decisions": "处理结果：", "profile": "当前配置", "adapters": "适配器",
        "uptime": "已运行", "logged": "已记录条目", "last_feed": "最近一次信息流",
        "generated": "更新于",
        "ca": "客户端信任证书",
        "ca_state": {True: "是", False: "否：最近的 TLS 握手失败", None: "尚不清楚"},
        "locked": "此页面需要 `feedlens run` 打印的仪表盘链接（链接中带有一次性的访问令牌）。"
                  "请在此浏览器中打开该链接。",
        "counter": {"responses_seen": "已处理响应", "feed_responses": "信息流响应",
                    "items_marked": "已标记条目", "errors": "错误",
                    "tls_failures": "TLS 失败（客户端未信任证书？）"},
        "provenance": {"followed": "关注", "personalized": "推荐", "popular": "热门",
                       "promoted": "广告", "search": "搜索", "own": "我的", "unknown": "未知"},
        "decision": {"keep": "保留", "label": "标注", "blur": "模糊", "hide": "隐藏",
                     "move_to_end": "移到末尾"},
        "units": ("秒", "分钟", "小时", "天"), "ago": "{}前",
    },
}


def ago(seconds: float, t: dict, suffix: bool = True) -> str:
    """`5 min ago` / `5分钟前`; without suffix just the span."""
    seconds = max(0, int(seconds))
    for unit, size in zip(t["units"][::-1], (86400, 3600, 60, 1)):
        if seconds >= size or size == 1:
            span = f"{seconds // size} {unit}" if unit.isascii() else f"{seconds // size}{unit}"
            return t["ago"].format(span) if suffix else span
    return ""


NAV = (("/", "Overview", "概览"), ("/reports", "Reports", "举报"), ("/parent", "Parent", "家长"),
       ("/research", "Research", "研究"))


def nav(lang: str, current: str) -> str:
    links = []
    for path, en, zh in NAV:
        label = escape(zh if lang == "zh" else en)
        links.append(f"<b>{label}</b>" if path == current else f'<a href="{path}">{label}</a>')
    return f"<nav>{' · '.join(links)}</nav>"
