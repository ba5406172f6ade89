"""The fast JSON path (feedlens.fastjson, orjson) means what the json module meant: same
values, same int/float split, same key order; where orjson would differ, json does the work.
Every shipped fixture goes through the engine both ways and must come out the same."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from feedlens import fastjson, fixtures, paths
from feedlens.engine import Engine
from feedlens.profiles import compile_profile
from feedlens.yamlsrc import parse

REWRITE = compile_profile(parse("""title: every change
version: 1
mark: {title_prefix: all}
rules:
  - {id: ads, when: {provenance: promoted}, action: hide}
  - {id: rec, when: {provenance: personalized}, action: limit, max: 2}
  - {id: pop, when: {provenance: popular}, action: move_to_end}
""", "rewrite.yaml"))


def typed(raw: bytes | str):
    """A JSON text as a structure that tells ints from floats, -0.0 from 0.0 and keeps key
    order (objects as lists of pairs); ValueError unless it is strict JSON."""
    def constant(name):
        raise ValueError(f"{name} in the output")
    return json.loads(raw, object_pairs_hook=lambda pairs: ("{}", pairs), parse_constant=constant,
                      parse_int=lambda s: ("int", int(s)), parse_float=lambda s: ("float", float(s).hex()))


def stdlib(text: str, constants: bool):
    if constants:
        return json.loads(text)
    return json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))


NUMBERS = ["0", "-0", "-0.0", "1.0", "1", "1e16", "1E16", "1e+16", "5e-324", "4.9e-324", "1e-400",
           "0.1", "1.7976931348623157e308", "2.2250738585072014e-308", "123456789.123", "1e22",
           "9223372036854775807", "-9223372036854775808", "18446744073709551615",
           "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890",
           "-123456789012345678901234567890", "12345678901234567890.5", "1.5e308"]


@pytest.mark.parametrize("number", NUMBERS)
def test_numbers_read_and_write_back_as_json_did(number):
    text = f'{{"n": {number}, "in": [{number}], "s": "{number}"}}'
    doc, fast = fastjson.loads(text.encode())
    assert typed(json.dumps(doc)) == typed(json.dumps(json.loads(text)))
    out = fastjson.dumps(doc) if fast else None
    if out is not None:
        assert typed(out) == typed(json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")))


@pytest.mark.parametrize("number", ["18446744073709551616", "-9223372036854775809", "[1, 123456789012345678901]"])
def test_integers_past_64_bits_stay_exact_integers(number):
    doc, fast = fastjson.loads(number.encode())
    assert doc == json.loads(number) and not fast
    assert json.dumps(doc) == json.dumps(json.loads(number))


@pytest.mark.parametrize("text", ['{"id": "1648726807301218305"}', '{"id": 1648726807301218305}',
                                  '{"k": "x-20749766137130314900"}', '[9223372036854775807]'])
def test_long_digits_in_strings_and_ints_within_64_bits_stay_fast(text):
    doc, fast = fastjson.loads(text.encode())
    assert fast and typed(fastjson.dumps(doc)) == typed(json.dumps(json.loads(text), separators=(",", ":")))


@pytest.mark.parametrize("text, constants", [
    ("[NaN]", True), ("[Infinity, -Infinity]", True), ("[1e400]", True), ("[1e400]", False),
    ('["\\ud800"]', True), ('["\\udc00x"]', False)])
def test_what_orjson_refuses_json_reads_as_before(text, constants):
    doc, fast = fastjson.loads(text, constants=constants)
    assert not fast
    assert json.dumps(doc) == json.dumps(stdlib(text, constants))


def test_nesting_past_orjson_s_limit_fails_as_json_fails():
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(RecursionError):
        json.loads(deep)
    with pytest.raises(RecursionError):
        fastjson.loads(deep.encode())


@pytest.mark.parametrize("text", ["[NaN]", "[-Infinity]", '{"a": Infinity}'])
def test_constants_refused_on_request(text):
    with pytest.raises(ValueError):
        fastjson.loads(text.encode(), constants=False)


@pytest.mark.parametrize("text", ['{"a": [1,]}', "[1] x", '{"a": "\x01"}', "\ufeff{}", "", "{", "[\x00]", "[\x00 ] "])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_not_json_raises_json_s_error(text, as_bytes):
    with pytest.raises(ValueError) as fast_error:
        fastjson.loads(text.encode() if as_bytes else text)
    with pytest.raises(ValueError) as json_error:
        json.loads(text)
    assert str(fast_error.value) == str(json_error.value)


def test_duplicate_keys_keep_the_last_value_in_the_first_place():
    text = '{"a": 1, "b": 2, "a": 3, "c": {"x": 1, "x": 2.0}}'
    doc, fast = fastjson.loads(text.encode())
    assert fast and typed(fastjson.dumps(doc)) == typed(json.dumps(json.loads(text)))


def test_unicode_written_as_is_and_escapes_kept_valid():
    text = '{"t": "中文 é \\u2028 </script> \\u0000 \\n \\"q\\" 😀 \\ud83d\\ude00"}'
    doc, fast = fastjson.loads(text.encode())
    out = fastjson.dumps(doc)
    assert fast and typed(out) == typed(text)
    assert "中文".encode() in out  # non-ASCII as the platform sent it, not \u-escaped


def test_what_orjson_cannot_write_goes_back_to_json():
    assert fastjson.dumps({"n": 2**70}) is None
    assert fastjson.dumps({1: "non-string key"}) is None
    assert fastjson.dumps({"when": datetime(2026, 1, 1)}) is None  # json refuses it too


@pytest.mark.parametrize("literal", ['{"t": "a</script><b>\\u2028\\u2029 中文", "n": 1e16}', '{"n": NaN, "t": "</x>"}'])
@pytest.mark.parametrize("encoding", ["json", "urlencoded"])
def test_embedded_json_is_written_back_as_json_wrote_it(literal, encoding):
    from urllib.parse import quote

    from feedlens import embedded

    body = quote(literal, safe="") if encoding == "urlencoded" else literal
    html = f"<script>window.__S__ = {body};</script>" if encoding == "json" else \
        f'<script id="s" type="application/json">{body}</script>'
    spec = {"assign": "window.__S__ ="} if encoding == "json" else {"script_id": "s", "encoding": encoding}
    span = embedded.find_spans(html, [spec])[0]
    doc, fast = embedded.read(html, span)
    assert fast == ("NaN" not in literal)  # NaN: json reads it and writes it back, as before
    written = embedded.encode(doc, span, fast=fast)
    assert written == embedded.encode(json.loads(literal), span)  # same text, escapes and all
    assert "</script>" not in written and "\u2028" not in written


# -- every shipped fixture, through the engine both ways -------------------------------------

CASES, _ = fixtures.discover(paths.platforms_dir())


@pytest.fixture(scope="module")
def engine(shipped_adapters):
    return Engine(shipped_adapters, REWRITE, clock=lambda: datetime(2026, 11, 22, 12, 0))


def both_ways(engine, case, monkeypatch):
    fast, _ = fixtures.run(engine, case)
    with monkeypatch.context() as patched:  # every body looks risky: json reads and writes it
        patched.setattr(fastjson, "may_hold_big_int", lambda raw: True)
        slow, _ = fixtures.run(engine, case)
    return fast, slow


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.platform}/{c.name}")
def test_fixture_rewritten_fast_means_what_json_wrote(engine, case, monkeypatch):
    fast, slow = both_ways(engine, case, monkeypatch)
    assert (fast.changed, fast.reason, fast.error) == (slow.changed, slow.reason, slow.error)
    assert [i.to_dict() for i in fast.items] == [i.to_dict() for i in slow.items]
    if case.body_path().suffix == ".json" and fast.changed:
        assert typed(fast.body) == typed(slow.body)
    else:
        assert fast.body == slow.body


def test_fixtures_rewrite_many_json_bodies_on_the_fast_path(engine):
    """The comparison above is not empty: many fixture bodies are read by orjson and rewritten."""
    bodies = [c for c in CASES if c.body_path().suffix == ".json"]
    fast = [c for c in bodies if fastjson.loads(c.body_path().read_bytes())[1]]
    changed = [c for c in fast if fixtures.run(engine, c)[0].changed]
    assert len(fast) > 0.9 * len(bodies) and len(changed) > 50
