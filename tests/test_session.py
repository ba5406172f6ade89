"""Logged in or not: names-level request facts decide the Reddit front page (docs/adapters.md,
"Session"), through the engine, the add-on chain, a worker process and the CLI; no cookie or
token value ever reaches the engine's Request, a pickled worker job or the item log."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy.proxy.layers.http import HttpRequestHeadersHook
from mitmproxy.test import taddons, tflow

from feedlens import paths, session
from feedlens.adapters import AdapterError, compile_adapter, load_adapters
from feedlens.addons import classify
from feedlens.cli import main
from feedlens.engine import Engine, Request
from feedlens.run import load_addon
from feedlens.yamlsrc import parse

from . import addon_support as chain
from .test_addon import free_port
from .test_runtime import MARK_ONLY

PLATFORMS = paths.bundled_rules_dir() / "platforms"
BEST = (PLATFORMS / "reddit.fixtures" / "best.json").read_bytes()
SECRET_SESSION = "s3cr3t-session-value-4f1c"
SECRET_TOKEN = "s3cr3t-token-value-9a2b"
LOGGED_IN = {"Cookie": f"loid=000; reddit_session={SECRET_SESSION}"}
LOGGED_OUT = {"Cookie": "loid=000; csv=2"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_adapters([PLATFORMS / "reddit.yaml"]))


def request(url: str, headers: dict | None) -> Request:
    facts = session.from_headers(headers.items()) if headers is not None else session.UNKNOWN
    return Request("GET", url, session=facts)


def marks(outcome) -> list[str]:
    return [item.provenance.value for item in outcome.items]


# -- the facts ---------------------------------------------------------------------------------

def test_facts_keep_names_and_scheme_only():
    facts = session.from_headers([("Cookie", f"a=1; reddit_session={SECRET_SESSION}"),
                                  ("Authorization", f"Bearer {SECRET_TOKEN}")])
    assert facts == session.SessionFacts(True, ("a", "reddit_session"), "bearer")
    assert SECRET_SESSION not in repr(facts) and SECRET_TOKEN not in repr(facts)
    assert session.UNKNOWN.as_context() == {"known": False, "cookies": [], "auth": None}


def test_logged_in_is_decided_by_the_adapter_declaration():
    spec = session.SessionSpec.of({"cookies": ["reddit_session"], "auth": ["Bearer"]})
    assert spec.logged_in(session.from_headers([("cookie", "reddit_session=x")])) is True
    assert spec.logged_in(session.from_headers([("authorization", "bearer x")])) is True
    assert spec.logged_in(session.from_headers([("authorization", "Basic x")])) is False
    assert spec.logged_in(session.from_headers([])) is False
    assert spec.logged_in(session.UNKNOWN) is None
    ctx = Request("GET", "https://x.test/", session=session.from_headers([])).context_for(spec)
    assert ctx["session"] == {"known": True, "cookies": [], "auth": None, "logged_in": False}


def test_schema_refuses_unknown_session_keys_and_a_request_on_a_default():
    base = (PLATFORMS / "reddit.yaml").read_text()
    with pytest.raises(AdapterError, match="session"):
        compile_adapter(parse(base.replace("  auth: [bearer]", "  auth: [bearer]\n  tokens: [x]"), "r.yaml"))
    bad = base.replace("      - default: popular\n", "      - default: popular\n        request: \"session.known\"\n", 1)
    with pytest.raises(AdapterError):
        compile_adapter(parse(bad, "r.yaml"))


# -- the engine --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://www.reddit.com/best.json", "https://www.reddit.com/.json",
                                 "https://old.reddit.com/hot.json", "https://oauth.reddit.com/best"])
def test_front_page_logged_in_is_followed_logged_out_popular(engine, url):
    assert marks(engine.process(request(url, LOGGED_IN), BEST)) == ["followed"] * 2 + ["promoted"] + ["followed"] * 2
    assert marks(engine.process(request(url, LOGGED_OUT), BEST)) == ["popular"] * 2 + ["promoted"] + ["popular"] * 2
    item = engine.process(request(url, LOGGED_OUT), BEST).items[0]
    evidence = {e.path: e.value for e in item.evidence}
    assert evidence["request.session.logged_in"] is False and evidence["endpoint"].startswith("reddit/front-")


@pytest.mark.parametrize("headers, expected", [
    ({"Authorization": f"Bearer {SECRET_TOKEN}"}, "followed"),  # user or app-only: not told apart
    ({"Authorization": "Basic Y2xpZW50OnNlY3JldA=="}, "popular"),  # an app's credentials
    ({}, "popular"),  # a guest: no session at all
])
def test_oauth_host_tokens(engine, headers, expected):
    outcome = engine.process(request("https://oauth.reddit.com/hot", headers), BEST)
    assert marks(outcome)[0] == expected


def test_no_request_context_keeps_the_body_decision_and_says_so(engine):
    best = engine.process(request("https://www.reddit.com/best.json", None), BEST)
    front = engine.process(request("https://www.reddit.com/hot.json", None), BEST)
    assert marks(best)[0] == "personalized" and marks(front)[0] == "followed"
    for item in best.items + front.items:
        assert {"source": "request", "path": "request", "value": session.NO_CONTEXT} in \
            [e.to_dict() for e in item.evidence]


def test_other_surfaces_ignore_the_session(engine):
    for headers in (LOGGED_IN, LOGGED_OUT, None):
        outcome = engine.process(request("https://www.reddit.com/r/popular.json", headers), BEST)
        assert set(marks(outcome)) == {"popular", "promoted"}
        assert not any(e.path.startswith("request") for i in outcome.items for e in i.evidence)


# -- the add-on chain and the worker -------------------------------------------------------------

@pytest.fixture
def rules(tmp_path) -> Path:
    root = tmp_path / "rules"
    (root / "platforms").mkdir(parents=True)
    (root / "profiles").mkdir()
    shutil.copy(PLATFORMS / "reddit.yaml", root / "platforms" / "reddit.yaml")
    (root / "profiles" / "default.yaml").write_text(MARK_ONLY)
    return root


@pytest.fixture
async def running(rules, tmp_path):
    addon = load_addon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, feedlens_rules=str(rules), feedlens_data_dir=str(tmp_path / "data"),
                       feedlens_service_port=free_port())
        await chain.running(addon)
        try:
            yield addon
        finally:
            await chain.done(addon)


def flow(url: str, headers: dict, body: bytes = BEST) -> http.HTTPFlow:
    req = http.Request.make("GET", url, headers=headers)
    return tflow.tflow(req=req, resp=http.Response.make(200, body, {"content-type": "application/json"}))


def padded() -> bytes:
    noise = os.urandom(classify.OFFLOAD_MIN_BYTES).hex().encode()
    return BEST.rstrip()[:-1] + b',"pad":"' + noise + b'"}'


async def through(addon, f: http.HTTPFlow) -> list[str]:
    await chain.fire(addon, HttpRequestHeadersHook(f))
    await chain.response_side(addon, f)
    return [c["data"]["name"] for c in json.loads(f.response.get_content())["data"]["children"]]


def test_the_engine_request_and_pickled_job_hold_no_header_value():
    f = flow("https://oauth.reddit.com/best", {**LOGGED_IN, "Authorization": f"Bearer {SECRET_TOKEN}"})
    req = classify.engine_request(f)
    assert req.session == session.SessionFacts(True, ("loid", "reddit_session"), "bearer")
    req.context  # a computed context is pickled with the Request too
    job = pickle.dumps((req, b"{}", None, "application/json"))
    for secret in (SECRET_SESSION, SECRET_TOKEN, "loid=000"):
        assert secret.encode() not in job


@pytest.mark.parametrize("big", [False, True], ids=["inline", "worker"])
async def test_front_page_by_session_through_the_add_on(running, big):
    body = padded() if big else BEST
    if big:
        await chain.workers_ready(running)
    await through(running, flow("https://www.reddit.com/best.json", LOGGED_OUT, body))
    await through(running, flow("https://oauth.reddit.com/best",
                                {"Authorization": f"Bearer {SECRET_TOKEN}"}, body))
    assert running.offload.jobs_done == (2 if big else 0)
    await running.runtime.store.flush()
    rows = await running.runtime.store.items(limit=100)
    by_surface = {}
    for row in rows:
        by_surface.setdefault(row["item_id"], []).append(row["provenance"])
    assert sorted(by_surface["t3_1gq4k2a"]) == ["followed", "popular"]
    assert sorted(by_surface["t3_1gpz0ad"]) == ["promoted", "promoted"]
    dump = json.dumps(rows, default=str)
    assert SECRET_TOKEN not in dump and SECRET_SESSION not in dump
    await running.runtime.store.close()
    raw = b"".join(p.read_bytes() for p in Path(running.runtime.store.path).parent.glob("*") if p.is_file())
    assert SECRET_TOKEN.encode() not in raw


async def test_logged_in_cookie_through_the_add_on_is_followed(running):
    await through(running, flow("https://www.reddit.com/hot.json", LOGGED_IN))
    await running.runtime.store.flush()
    rows = await running.runtime.store.items(limit=100)
    assert {r["provenance"] for r in rows} == {"followed", "promoted"}
    assert SECRET_SESSION not in json.dumps(rows, default=str)


# -- the command line ----------------------------------------------------------------------------

@pytest.mark.parametrize("flags, expected", [
    ([], "personalized"),
    (["--cookie-names", "loid,reddit_session"], "followed"),
    (["--header", f"Cookie: reddit_session={SECRET_SESSION}"], "followed"),
    (["--header", "Cookie: loid=1", "--header", "User-Agent: x"], "popular"),
    (["--header", "Authorization: Basic abc"], "popular"),
    (["--cookie-names", ""], "popular"),
])
def test_cli_flags_reproduce_the_decision(tmp_path, capsys, flags, expected):
    body = tmp_path / "best.json"
    body.write_bytes(BEST)
    code = main(["classify", str(body), "--url", "https://www.reddit.com/best.json",
                 "--format", "jsonl", *flags])
    out = capsys.readouterr().out
    first = json.loads(out.splitlines()[0])
    assert code == 0 and first["provenance"] == expected
    assert SECRET_SESSION not in out
    if not flags:
        assert session.NO_CONTEXT in out


def test_cli_refuses_a_header_without_a_colon(tmp_path, capsys):
    body = tmp_path / "best.json"
    body.write_bytes(BEST)
    code = main(["classify", str(body), "--url", "https://www.reddit.com/best.json",
                 "--header", "Authorization"])
    assert code != 0 and "NAME:VALUE" in capsys.readouterr().err
