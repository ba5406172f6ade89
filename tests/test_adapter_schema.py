"""Adapter validation: `file:line` messages, bad files refused without affecting others."""

from __future__ import annotations

import pytest

from feedlens.adapters import AdapterError, compile_adapter, load_adapters
from feedlens.yamlsrc import parse

HEADER = "title: T\nplatform: t\nversion: 1\nexpires: 30 days\nhomepage: https://e.org\nlicence: GPL-3.0-or-later\n"
GOOD_ENDPOINT = """endpoints:
  - name: home
    match: {host: a.test, path: /feed}
    surface: home
    items: data.list
    fields: {id: id}
    provenance:
      - {default: personalized}
"""


def compile_text(text: str):
    return compile_adapter(parse(text, "t.yaml"))


def error_of(text: str) -> str:
    with pytest.raises(AdapterError) as err:
        compile_text(text)
    return str(err.value)


def test_good_adapter_compiles():
    adapter = compile_text(HEADER + GOOD_ENDPOINT)
    assert adapter.platform == "t" and adapter.endpoints[0].key == "t/home"


@pytest.mark.parametrize("change, message", [
    (("items: data.list", "items: data.list[?x]"), "t.yaml:11: items path"),
    (("items: data.list", "items: data.list[]"), "t.yaml:11: items path"),
    (("fields: {id: id}", "fields: {id: 'id ||'}"), "t.yaml:12: invalid JMESPath"),
    (("fields: {id: id}", "fields: {title: t}"), "t.yaml:8: fields.id is required"),
    (("- {default: personalized}", "- {when: a, is: followed}"), "the last provenance rule must be a default"),
    (("- {default: personalized}", "- {when: a, is: viral}"), "t.yaml:14:"),
    (("    surface: home\n", ""), "t.yaml:8: endpoints.0: 'surface' is a required property"),
    (("path: /feed", "path_regex: '(['"), "t.yaml:9: bad regex"),
])
def test_errors_point_at_the_line(change, message):
    text = HEADER + GOOD_ENDPOINT.replace(*change)
    assert message in error_of(text)


def test_missing_header_field():
    assert "t.yaml:1: (top level): 'licence' is a required property" in error_of(
        HEADER.replace("licence: GPL-3.0-or-later\n", "") + GOOD_ENDPOINT)


def test_invalid_yaml_reports_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEADER + "endpoints:\n  - name: [unclosed\n")
    loaded = load_adapters([bad])
    assert loaded.adapters == [] and loaded.errors[0].startswith(f"{bad}:")
    assert "invalid YAML" in loaded.errors[0]


def test_bad_file_does_not_affect_the_others(tmp_path):
    (tmp_path / "good.yaml").write_text(HEADER + GOOD_ENDPOINT)
    (tmp_path / "broken.yaml").write_text(HEADER.replace("platform: t", "platform: u") + "endpoints: []\n")
    loaded = load_adapters([tmp_path])
    assert [a.platform for a in loaded.adapters] == ["t"]
    assert len(loaded.errors) == 1 and "broken.yaml:7" in loaded.errors[0]
    assert loaded.router.route("GET", "a.test", "/feed")[0].name == "home"


def test_duplicate_platform_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(HEADER + GOOD_ENDPOINT)
    (tmp_path / "b.yaml").write_text(HEADER + GOOD_ENDPOINT)
    loaded = load_adapters([tmp_path])
    assert len(loaded.adapters) == 1 and "already defined" in loaded.errors[0]


def test_host_wildcards_and_any_host():
    text = HEADER + GOOD_ENDPOINT.replace("host: a.test", "host: ['*.a.test']") + """  - name: anyhost
    match: {host: '*', path: /api/v1/timelines/home}
    surface: following
    items: '@'
    fields: {id: id}
    provenance: [{default: followed}]
"""
    router = load_router(text)
    assert [e.name for e in router.route("GET", "a.test", "/feed")] == ["home"]
    assert [e.name for e in router.route("GET", "m.x.a.test", "/feed")] == ["home"]
    assert router.route("GET", "ba.test", "/feed") == []
    assert [e.name for e in router.route("GET", "mastodon.social", "/api/v1/timelines/home")] == ["anyhost"]
    assert router.route("GET", "mastodon.social", "/api/v1/timelines/public") == []


def load_router(text):
    from feedlens.router import Router
    return Router(compile_text(text).endpoints)
