"""Processing in a worker process gives the same result as inline, and failures fail open."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from feedlens import features, offload_wire, paths
from feedlens.engine import Request
from feedlens.fixtures import discover
from feedlens.model import Provenance
from feedlens.classifier import ResponseClassifier
from feedlens.offload import Offload, WorkerFailed, decode, encode
from feedlens.runtime import Config, Runtime

from .test_runtime import HIDE_ADS, MARK_ONLY

DATA = Path(__file__).parent / "data"
DEMO = (DATA / "demo_home.json").read_bytes()
REQUEST = Request("GET", "https://api.demo.test/feed/home")


@pytest.fixture
def runtime(tmp_path) -> Runtime:
    rules = tmp_path / "rules"
    (rules / "platforms").mkdir(parents=True)
    (rules / "profiles").mkdir()
    shutil.copy(DATA / "demo.yaml", rules / "platforms" / "demo.yaml")
    (rules / "profiles" / "no-ads.yaml").write_text(HIDE_ADS)
    (rules / "profiles" / "default.yaml").write_text(MARK_ONLY)
    return Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules, profile="no-ads", mark_style="all"))


@pytest.mark.parametrize("name", [None, "identity", "gzip", "deflate", "br", "zstd"])
def test_encode_decode_round_trip(name):
    assert decode(encode(DEMO, name), name) == DEMO


def test_undecodable_body_raises_value_error():
    with pytest.raises(ValueError):
        decode(b"not gzip", "gzip")


def test_spec_rebuilds_the_same_engine(runtime):
    rebuilt = runtime.engine_spec.build()
    here, there = runtime.engine.process(REQUEST, DEMO), rebuilt.process(REQUEST, DEMO)
    assert there.changed and there.body == here.body
    assert [i.to_dict() for i in there.items] == [i.to_dict() for i in here.items]
    assert rebuilt.profile.title_prefix == "all"


async def test_worker_matches_inline_and_follows_reloads(runtime):
    offload = Offload(workers=1)
    try:
        inline = ResponseClassifier(runtime.engine).process_sent(REQUEST, encode(DEMO, "br"), "br", "application/json")
        remote = await offload.transform(runtime.engine_spec, REQUEST, encode(DEMO, "br"), "br",
                                         "application/json")
        assert decode(remote[1], "br") == decode(inline[1], "br")
        assert [i.id for i in remote[0].items] == [i.id for i in inline[0].items]
        assert remote[0].body is None  # only the encoded body travels back
        runtime.set_profile("default")  # a new engine: a new pool, built from the new spec
        outcome, new_raw = await offload.transform(runtime.engine_spec, REQUEST, DEMO, None, None)
        assert all(i.decision == "keep" for i in outcome.items)
    finally:
        offload.close()


async def test_a_hung_worker_fails_and_pauses_the_pool(runtime):
    offload = Offload(workers=1, timeout=0.001)
    try:
        with pytest.raises(TimeoutError):
            await offload.transform(runtime.engine_spec, REQUEST, DEMO, None, None)
        assert not offload.available
    finally:
        offload.close()


# -- bytes in, bytes out (issue 16): the worker's answer is the inline result ------------------------

@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Runtime:
    features.install()  # the shipped adapters' report sections, as the add-on's workers do
    return Runtime(Config(data_dir=tmp_path_factory.mktemp("data"), rules_dir=paths.bundled_rules_dir(),
                          profile="no-ads"))


def fixture_cases():
    cases, _ = discover(paths.platforms_dir())
    return cases


def test_the_wire_carries_every_fixture_outcome_intact(shipped):
    for case in fixture_cases():
        outcome, _ = ResponseClassifier(shipped.engine).process_sent(case.request(), case.body_path().read_bytes(), None,
                               case.content_type())
        kind, back = offload_wire.read_reply(offload_wire.reply(outcome))
        assert kind == "ok", case.name
        assert [i.to_dict() for i in back.items] == [i.to_dict() for i in outcome.items], case.name
        assert all(isinstance(i.provenance, Provenance) for i in back.items)
        for name in offload_wire.OUTCOME_FIELDS:
            assert getattr(back, name) == getattr(outcome, name), (case.name, name)


async def test_worker_answers_every_fixture_as_inline(shipped):
    offload = Offload(workers=1, setup=features.install)
    # a fresh engine, as the worker's: both learn from the same bodies in the same order
    # (formats seen on one surface inform another: the engine's memory)
    engine = shipped.engine_spec.build()
    try:
        for case in fixture_cases():
            raw, request = encode(case.body_path().read_bytes(), "gzip"), case.request()
            here = ResponseClassifier(engine).process_sent(request, raw, "gzip", case.content_type())
            there = await offload.transform(shipped.engine_spec, request, raw, "gzip", case.content_type())
            assert there[1] == here[1], case.name  # the same new body, as sent (or None)
            for a, b in zip(there[0].items, here[0].items):
                da, db = a.to_dict(), b.to_dict()
                assert da == db, (case.name, {k: (da[k], db[k]) for k in da if da[k] != db[k]})
        assert offload.jobs_done == len(fixture_cases())
    finally:
        offload.close()


async def test_a_worker_error_is_the_inline_error(runtime):
    offload = Offload(workers=1)
    try:
        with pytest.raises(ValueError) as inline:
            ResponseClassifier(runtime.engine).process_sent(REQUEST, b"not gzip", "gzip", None)
        with pytest.raises(ValueError) as remote:
            await offload.transform(runtime.engine_spec, REQUEST, b"not gzip", "gzip", None)
        assert str(remote.value) == str(inline.value)
        assert offload.available  # a bad body is not a failed worker
    finally:
        offload.close()


async def test_a_dead_worker_fails_and_pauses(runtime):
    offload = Offload(workers=1)
    try:
        await offload.transform(runtime.engine_spec, REQUEST, DEMO, None, None)
        for process in offload._processes:
            process.kill()
            process.join()
        with pytest.raises(WorkerFailed):
            await offload.transform(runtime.engine_spec, REQUEST, DEMO, None, None)
        assert not offload.available and not offload.ready(runtime.engine_spec)
    finally:
        offload.close()


async def test_workers_start_only_when_warmed(runtime):
    offload = Offload(workers=1)
    try:
        assert offload.started == 0 and not offload.ready(runtime.engine_spec)
        offload.warm(runtime.engine_spec)
        offload.warm(runtime.engine_spec)  # once per adapters
        assert offload.started == 1
    finally:
        offload.close()
