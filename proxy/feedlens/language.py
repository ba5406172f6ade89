"""Which of the two UI languages (zh, en) a client prefers, from its Accept-Language."""

from __future__ import annotations


def pick_language(accept_language: str | None) -> str:
    """'zh' or 'en', whichever the browser ranks higher (English when neither is asked for)."""
    best, best_q = "en", 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        lang = "zh" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        q = _quality(params)
        if lang and q > best_q:
            best, best_q = lang, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
