"""normalize's fast paths (ASCII, text already in NFKC) give what NFKC + case folding gives."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from feedlens.textmatch import normalize

SAMPLES = ["Giveaway", "ＧＩＶＥＡＷＡＹ", "抽奖", "抽奖 ｶﾀｶﾅ", "Straße", "ﬁle", "①", "e\u0301", "Ǆ", "…", "ΣΑΣ"]


def _reference(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold() if text else ""


def test_samples_as_nfkc_and_casefold():
    for text in SAMPLES + ["", None]:
        assert normalize(text) == _reference(text or "")


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_as_nfkc_and_casefold(text):
    assert normalize(text) == _reference(text)
