"""Text normalisation and safe matching for user rules.

Text is normalised with NFKC and case folding, so full-width and half-width forms and letter
case compare equal. Substring matching makes no word-boundary assumption, which Chinese needs.
User regexes run on RE2, a linear-time engine: patterns that would need backtracking
(back-references, look-around) are refused with a clear message instead of risking
catastrophic backtracking on a hostile title.
"""

from __future__ import annotations

import unicodedata

import re2

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.case_sensitive = False
_RE2_OPTIONS.max_mem = 8 << 20


def normalize(text: str | None) -> str:
    if not text:
        return ""
    if text.isascii():  # NFKC leaves ASCII as it is, and folds its case as lower() does
        return text.lower()
    if unicodedata.is_normalized("NFKC", text):  # a quick check, far cheaper than normalising
        return text.casefold()
    return unicodedata.normalize("NFKC", text).casefold()


class UnsafePattern(ValueError):
    pass


def compile_regex(pattern: str):
    """Compile a user pattern with RE2; raise UnsafePattern with a readable reason."""
    try:
        return re2.compile(normalize(pattern), _RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise UnsafePattern(
            f"regex {pattern!r} is not accepted: {detail} (feedlens runs user regexes in "
            "linear time with RE2, which has no back-references or look-around)") from None
