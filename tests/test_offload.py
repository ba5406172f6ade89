"""Processing in a worker process gives the same result as inline, and failures fail open."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from feedlens.engine import Request
from feedlens.offload import Offload, decode, encode, transform
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
        inline = transform(runtime.engine, REQUEST, encode(DEMO, "br"), "br", "application/json")
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
