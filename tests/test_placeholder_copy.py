"""placeholder.deep_copy is copy.deepcopy for parsed JSON: the same copy, the same memo."""

from __future__ import annotations

import copy
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from feedlens.placeholder import deep_copy

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=20)


def _ids(memo: dict) -> set[int]:
    return {key for key in memo if key != id(memo)}  # deepcopy keeps its originals under id(memo)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_same_copy_and_memo_as_deepcopy(value):
    ours, theirs = {}, {}
    copied = deep_copy(value, ours)
    assert copied == copy.deepcopy(value, theirs)
    assert _ids(ours) == _ids(theirs)
    for key in _ids(ours):
        assert ours[key] == theirs[key] and ours[key] is not None


def test_shared_objects_copied_once_and_other_types_by_deepcopy():
    shared = {"a": [1, 2]}
    value = {"x": shared, "y": [shared, date(2026, 1, 1)], 1: "int key"}
    copied = deep_copy(value, {})
    assert copied == value and copied["x"] is copied["y"][0] and copied["x"] is not shared
    assert copied["y"][1] == date(2026, 1, 1)
