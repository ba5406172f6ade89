"""Texts for the national and legal channels: a 12377 report and a DSA Art 16 notice.

Both are plain text the user pastes into the channel's own form (12377.cn; the platform's
DSA notice form or e-mail). They quote the item as the proxy saw it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .categories import Category, is_zh as _is_zh
from .templates import ReportError

CENTRE_12377 = "https://www.12377.cn/"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def text_12377(category: Category, item: dict, page_url: str, description: str,
               lang: str = "zh") -> str:
    """A report for 12377.cn (the CAC's illegal and harmful information reporting centre)."""
    item = item or {}
    _need_url(page_url)
    zh = _is_zh(lang)
    channel = category.channel_12377 or (
        "（无直接对应类型，请在表单中选择最接近的类型）" if zh
        else "(no direct match: choose the closest type on the form)")
    rows = ([("举报类型", channel), ("信息类别", category.zh), ("法律依据", category.ref)] if zh
            else [("12377 report type", channel), ("Category", category.en),
                  ("Legal basis", category.ref)])
    rows += _where(item, page_url, zh)
    rows.append(("举报内容" if zh else "Details", (description or "").strip()
                 or (category.zh if zh else category.en)))
    head = ("违法和不良信息举报（请提交至 12377 网上举报平台）" if zh
            else "Report of illegal or harmful information (for the 12377 reporting centre)")
    foot = (f"举报平台：{CENTRE_12377}（中央网信办违法和不良信息举报中心）" if zh
            else f"Submit at {CENTRE_12377} (CAC Illegal and Harmful Information Reporting Centre)")
    return "\n".join([head, *(f"{k}：{v}" if zh else f"{k}: {v}" for k, v in rows), foot])


def dsa_notice(category: Category, item: dict, page_url: str, explanation: str, name: str,
               email: str, lang: str = "en") -> str:
    """A notice with the elements of DSA Art 16(2) (a)–(d)."""
    item = item or {}
    explanation = (explanation or "").strip()
    if not explanation:
        raise ReportError("a DSA notice needs an explanation of why the content is illegal "
                          "(Art 16(2)(a))")
    _need_url(page_url)
    name, email = _notifier(category, name, email)
    zh = _is_zh(lang)
    locations = [page_url] + ([item["url"]] if item.get("url") and item["url"] != page_url else [])
    if zh:
        parts = [
            "违法内容通知 — 欧盟《数字服务法》（条例 (EU) 2022/2065）第 16 条",
            f"平台：{item.get('platform') or '—'}",
            "(a) 内容违法的充分理由说明：", explanation, f"类别：{_category_line(category, zh)}",
            "(b) 内容的确切电子位置（URL）：", *locations, *_item_lines(item, zh),
            "(c) 通知人姓名和电子邮箱：", _notifier_line(name, email, zh),
            "(d) 善意声明：", _good_faith(name, zh),
            f"日期：{_today()}",
        ]
    else:
        parts = [
            "Notice of illegal content — Regulation (EU) 2022/2065 (Digital Services Act), Article 16",
            f"Service: {item.get('platform') or '—'}",
            "(a) Explanation of the reasons why the information is considered illegal content:",
            explanation, f"Category: {_category_line(category, zh)}",
            "(b) Exact electronic location of the information (URL):", *locations,
            *_item_lines(item, zh),
            "(c) Name and email address of the notifier:", _notifier_line(name, email, zh),
            "(d) Statement of good faith:", _good_faith(name, zh),
            f"Date: {_today()}",
        ]
    return "\n".join(parts)


def _notifier(category: Category, name: str, email: str) -> tuple[str, str]:
    name, email = (name or "").strip(), (email or "").strip()
    if not category.anonymous_notice and (not name or not email):
        raise ReportError("a DSA notice needs the notifier's name and email (Art 16(2)(c))")
    if email and not _EMAIL.match(email):
        raise ReportError(f"{email!r} is not an email address")
    return name, email


def _notifier_line(name: str, email: str, zh: bool) -> str:
    if name or email:
        return f"{name} <{email}>"
    if zh:
        return "依据第 16(2)(c) 条，涉及第 2011/93/EU 号指令第 3–7 条罪行的通知可不提供姓名和电邮。"
    return ("Name and email omitted under Art 16(2)(c) (offences referred to in Articles 3 to 7 "
            "of Directive 2011/93/EU).")


def _category_line(category: Category, zh: bool) -> str:
    """Label (STATEMENT_CATEGORY_…; legal reference), without repeating the constant."""
    basis = [b for b in (category.dsa_constant, category.ref) if b]
    if category.dsa_constant and category.dsa_constant in category.ref:
        basis = [category.ref]
    return f"{category.zh if zh else category.en} ({'; '.join(basis)})"


def _good_faith(name: str, zh: bool) -> str:
    if zh:
        return f"{name or '本人'}善意确信本通知所含信息和指控准确、完整。"
    who = f"I, {name}," if name else "I"
    return (f"{who} confirm my bona fide belief that the information and allegations contained "
            "in this notice are accurate and complete.")


def _where(item: dict, page_url: str, zh: bool) -> list[tuple[str, str]]:
    rows = [("网址" if zh else "URL", page_url)]
    if item.get("url") and item["url"] != page_url:
        rows.append(("内容链接" if zh else "Item link", str(item["url"])))
    rows += [(k, v) for k, v in _item_fields(item, zh)]
    return rows


def _item_lines(item: dict, zh: bool) -> list[str]:
    return [f"{k}：{v}" if zh else f"{k}: {v}" for k, v in _item_fields(item, zh)]


def _item_fields(item: dict, zh: bool) -> list[tuple[str, str]]:
    out = []
    if item.get("platform") or item.get("id"):
        out.append(("平台与编号" if zh else "Platform and id",
                    f"{item.get('platform') or '?'} / {item.get('id') or '?'} ({item.get('kind') or '?'})"))
    if item.get("author") or item.get("author_id"):
        author = item.get("author") or ""
        if item.get("author_id"):
            author += f" (ID {item['author_id']})"
        out.append(("发布者" if zh else "Author", author.strip()))
    if item.get("title"):
        out.append(("标题" if zh else "Title", str(item["title"])))
    if isinstance(item.get("published"), (int, float)):
        stamp = datetime.fromtimestamp(item["published"], timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        out.append(("发布时间" if zh else "Published", stamp))
    return out


def _need_url(page_url: str) -> None:
    if not isinstance(page_url, str) or not re.match(r"^https?://\S+$", page_url):
        raise ReportError(f"the exact location must be an http(s) URL, not {page_url!r}")


def _today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")
