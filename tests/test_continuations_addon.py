"""Continuations and the viewer through the real add-on chain: the proxy remembers which page
issued a token, per client, and reads the viewer's id from the declared cookie only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow

from feedlens.run import load_addon

from . import addon_support as chain
from .test_addon import free_port, through
from .test_runtime import write_demo_rules

PAGES = Path(__file__).parent / "data" / "pages.yaml"


@pytest.fixture
async def proxy(tmp_path):
    rules = write_demo_rules(tmp_path / "rules")
    shutil.copy(PAGES, rules / "platforms" / "pages.yaml")
    addon = load_addon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, feedlens_rules=str(rules), feedlens_data_dir=str(tmp_path / "data"),
                       feedlens_service_port=free_port())
        await chain.running(addon)
        try:
            yield addon
        finally:
            await chain.done(addon)


def browse(body: dict, items: list[dict], next_token=None, client="192.168.1.20", cookie=None) -> http.HTTPFlow:
    request = http.Request.make("POST", "https://api.pages.test/browse", json.dumps(body),
                                {"content-type": "application/json", **({"cookie": cookie} if cookie else {})})
    response = http.Response.make(200, json.dumps({"items": items, "next": next_token}),
                                  {"content-type": "application/json"})
    f = tflow.tflow(req=request, resp=response)
    f.client_conn.peername = (client, 50000)
    return f


async def marks(proxy, *ids):
    await proxy.runtime.store.flush()
    found = await proxy.runtime.store.marks("pages", list(ids))
    return [found[i]["provenance"] for i in ids]


async def test_a_continuation_keeps_the_surface_of_its_first_page(proxy):
    await through(proxy, browse({"tab": "trending"}, [{"vid": "a"}], next_token="T2"))
    page_two = await through(proxy, browse({"continuation": "T2"}, [{"vid": "b"}]))
    assert page_two.metadata["feedlens"]["endpoint"] == "trending"
    unseen = await through(proxy, browse({"continuation": "T2"}, [{"vid": "c"}], client="192.168.1.21"))
    assert unseen.metadata["feedlens"]["endpoint"] == "continuation"
    assert await marks(proxy, "a", "b", "c") == ["popular", "popular", "unknown"]


async def test_the_viewers_own_post_is_own_and_no_cookie_value_is_logged(proxy):
    f = browse({"tab": "home"}, [{"vid": "m", "by": "42"}, {"vid": "o", "by": "7"}],
               cookie="sid=SESSION-VALUE; uid=u=42")
    await through(proxy, f)
    assert await marks(proxy, "m", "o") == ["own", "personalized"]
    dump = b"".join(p.read_bytes() for p in Path(proxy.runtime.config.data_dir).rglob("*") if p.is_file())
    assert b"SESSION-VALUE" not in dump


async def test_the_viewer_learned_from_a_response_about_them(proxy):
    me = tflow.tflow(req=http.Request.make("GET", "https://api.pages.test/me"),
                     resp=http.Response.make(200, json.dumps({"account": {"id": 42, "name": "me"}}),
                                             {"content-type": "application/json"}))
    me.client_conn.peername = ("192.168.1.30", 50000)
    await through(proxy, me)
    assert proxy.shared.viewers.get("192.168.1.30", "pages") == "42"
    mine = browse({"tab": "home"}, [{"vid": "m2", "by": "42"}], client="192.168.1.30")
    other_device = browse({"tab": "home"}, [{"vid": "m3", "by": "42"}], client="192.168.1.31")
    await through(proxy, mine)
    await through(proxy, other_device)
    assert await marks(proxy, "m2", "m3") == ["own", "personalized"]
