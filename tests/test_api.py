"""The library API (feedlens.api.Classifier): process, unchanged bodies, failing open, bad
arguments, one engine for many responses."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys

import pytest

import feedlens
from feedlens import api, bodies
from feedlens.api import Classifier
from feedlens.engine import Request
from feedlens.profiles import MARK_ONLY, compile_profile
from feedlens.yamlsrc import parse

from .conftest import DATA

URL = "https://api.demo.test/feed/home?page=1"
BODY = (DATA / "demo_home.json").read_bytes()
HIDE_ADS = "title: t\nversion: 1\nrules:\n - {id: ads, when: {provenance: promoted}, action: hide}\n"


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    """A rules directory with the demo adapter and one profile file."""
    folder = tmp_path_factory.mktemp("rules")
    (folder / "platforms").mkdir()
    (folder / "profiles").mkdir()
    shutil.copy(DATA / "demo.yaml", folder / "platforms" / "demo.yaml")
    (folder / "profiles" / "hide-ads.yaml").write_text(HIDE_ADS, encoding="utf-8")
    return folder


def test_the_package_exports_the_classifier_lazily():
    assert feedlens.Classifier is Classifier and feedlens.classify is api.classify
    code = "import sys, feedlens; print('feedlens.api' in sys.modules, 'feedlens.engine' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_process_marks_and_rewrites(rules):
    result = Classifier("hide-ads", rules=rules).process(URL, BODY)
    assert result.error is None and result.endpoint is not None
    decisions = {item.id: item.decision for item in result.items}
    hidden = {i for i, d in decisions.items() if d == "hide"}
    assert hidden and len(decisions) > len(hidden)
    kept = [json.dumps(entry) for entry in json.loads(result.body)["data"]["list"]]
    assert not any(f'"{i}"' in entry for i in hidden for entry in kept)


def test_a_profile_by_file_path_and_by_object_decide_alike(rules):
    by_path = Classifier(rules / "profiles" / "hide-ads.yaml", rules=str(rules)).process(URL, BODY)
    profile = compile_profile(parse(HIDE_ADS, "mine.yaml"))
    by_object = Classifier(profile, rules=rules)
    assert by_object.profile is profile
    assert by_object.process(URL, BODY).body == by_path.body is not None


def test_mark_only_leaves_the_body_to_pass_as_sent(rules):
    result = Classifier(rules=rules).process(URL, BODY)
    assert result.items and not result.changed and result.body is None
    assert all(item.decision == "keep" for item in result.items)
    # what the proxy does with that: the response's own bytes go on (no re-encoded copy)
    classifier = Classifier(None, rules=rules)
    outcome, new_raw = classifier.process_sent(Request("GET", URL), gzip.compress(BODY),
                                               "gzip", "application/json")
    assert outcome.items and new_raw is None


def test_a_body_as_sent_comes_back_encoded_as_it_came(rules):
    """process_sent (what the proxy's add-on and its workers call) decodes, rewrites and
    re-encodes: the gzip it returns holds what process() gives for the decoded body."""
    classifier = Classifier("hide-ads", rules=rules)
    outcome, new_raw = classifier.process_sent(Request("GET", URL), gzip.compress(BODY), "gzip", "application/json")
    assert new_raw is not None and outcome.body is None  # the encoded form only
    assert gzip.decompress(new_raw) == classifier.process(URL, BODY).body
    assert [i.decision for i in outcome.items] == [i.decision for i in classifier.process(URL, BODY).items]
    with pytest.raises(ValueError):
        classifier.process_sent(Request("GET", URL), b"not gzip", "gzip", "application/json")
    with pytest.raises(bodies.OverCap):
        small = Classifier("hide-ads", rules=rules)
        small.engine.body_cap = 16
        small.process_sent(Request("GET", URL), gzip.compress(BODY), "gzip", "application/json")


def test_the_proxy_add_on_takes_the_library_path():
    from feedlens.addons.flowstate import FlowState
    from feedlens.classifier import ResponseClassifier
    assert issubclass(Classifier, ResponseClassifier)
    engine = Classifier().engine
    assert FlowState([], engine, None).classifier.engine is engine


def test_a_response_that_is_no_feed_passes_unchanged(rules):
    result = Classifier("hide-ads", rules=rules).process("https://www.example.com/feed", BODY)
    assert result.endpoint is None and result.body is None and result.error is None
    broken = Classifier("hide-ads", rules=rules).process(URL, b'{"data": {"list": [')
    assert broken.body is None and "not JSON" in broken.reason


def test_an_error_inside_fails_open(rules, monkeypatch):
    classifier = Classifier("hide-ads", rules=rules)

    def broken(*args, **kwargs):
        raise RuntimeError("adapter bug")

    monkeypatch.setattr("feedlens.engine._Pass.run", broken)
    result = classifier.process(URL, BODY)
    assert result.body is None and result.error == "RuntimeError: adapter bug"
    monkeypatch.setattr(api, "from_headers", broken)  # outside the engine too
    result = classifier.process(URL, BODY, headers={"Cookie": "a=1"})
    assert result.body is None and result.error == "RuntimeError: adapter bug"


def test_request_headers_give_the_session(rules):
    result = Classifier(rules=rules).process(URL, BODY, headers={"Cookie": "SESSDATA=secret; b=2"})
    assert result.error is None and result.items
    assert "secret" not in json.dumps([item.to_dict() for item in result.items])


@pytest.mark.parametrize("kwargs, error, words", [
    ({"profile": "nope"}, ValueError, "available: chronological, default"),
    ({"profile": "/no/such/profile.yaml"}, ValueError, "no such profile file"),
    ({"profile": 3}, TypeError, "profile must be"),
    ({"rules": 3}, TypeError, "rules must be"),
])
def test_bad_classifier_arguments_raise(kwargs, error, words):
    with pytest.raises(error, match=words):
        Classifier(**kwargs)


@pytest.mark.parametrize("call, words", [
    (lambda c: c.process(URL, "text body"), "body must be bytes"),
    (lambda c: c.process(None, BODY), "url must be str"),
    (lambda c: c.process(URL, BODY, headers=[("a", "b")]), "headers must be dict"),
    (lambda c: c.process(URL, BODY, request_body="{}"), "request_body must be"),
])
def test_bad_process_arguments_raise(rules, call, words):
    with pytest.raises(TypeError, match=words):
        call(Classifier(rules=rules))


def test_a_named_shipped_profile_and_the_default():
    assert Classifier("no-ads").profile.name == "no-ads"
    assert Classifier("default").profile.rules == [] and Classifier().profile is MARK_ONLY


def test_one_engine_serves_many_responses(rules):
    classifier = Classifier("hide-ads", rules=rules)
    engine = classifier.engine
    first = [classifier.process(URL, BODY) for _ in range(3)]
    assert classifier.engine is engine and Classifier("hide-ads", rules=rules).engine.adapters is engine.adapters
    assert len({r.body for r in first}) == 1 and first[0].body is not None
    assert first[0].body == api.classify(URL, BODY, profile=str(rules / "profiles" / "hide-ads.yaml"),
                                         rules=str(rules)).body
