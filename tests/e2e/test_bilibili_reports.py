"""The replay server's Bilibili report endpoints answer as api.bilibili.com does."""

from __future__ import annotations

import pytest
from aiohttp import web

from tests.e2e.bilibili_reports import ORIGIN, ReportDesk
from tests.e2e.replay import build_app

APPEAL = "/x/web-interface/archive/appeal"
COMMENT = "/x/v2/reply/report"
SESSION = {"SESSDATA": "s3ss10n", "bili_jct": "0123abcd"}


@pytest.fixture
async def desk_client(aiohttp_client):
    desk = ReportDesk(too_fast=0)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", desk.handle)
    client = await aiohttp_client(app, cookies=SESSION)
    client.desk = desk
    return client


async def appeal(client, **fields):
    body = {"aid": "170001", "tid": "3", "desc": "", "attach": "", "csrf": SESSION["bili_jct"], **fields}
    response = await client.post(APPEAL, data=body, headers={"Origin": ORIGIN})
    return response, await response.json()


async def test_first_report_ok_then_duplicate(desk_client):
    response, body = await appeal(desk_client)
    assert (response.status, body["code"]) == (200, 0)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    _, again = await appeal(desk_client, tid="10014")
    assert again["code"] == 12008
    _, other = await appeal(desk_client, aid="170002")
    assert other["code"] == 0
    received = desk_client.desk.received()
    assert [r["fields"]["aid"] for r in received] == ["170001", "170001", "170002"]
    assert received[0]["cookies"]["bili_jct"] == SESSION["bili_jct"] and received[0]["origin"] == ORIGIN


async def test_csrf_must_equal_the_cookie(desk_client):
    _, body = await appeal(desk_client, csrf="forged")
    assert body["code"] == -111
    _, missing = await appeal(desk_client, csrf="")
    assert missing["code"] == -111
    _, ok = await appeal(desk_client)  # refused ones were not counted as reported
    assert ok["code"] == 0


async def test_no_session_cookie_is_not_logged_in(aiohttp_client):
    desk = ReportDesk(too_fast=0)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", desk.handle)
    client = await aiohttp_client(app, cookies={"bili_jct": SESSION["bili_jct"]})
    _, body = await appeal(client)
    assert body["code"] == -101


async def test_too_fast_answers_12019(desk_client):
    desk_client.desk.too_fast = 3600
    assert (await appeal(desk_client))[1]["code"] == 0
    assert (await appeal(desk_client, aid="170002"))[1]["code"] == 12019
    desk_client.desk.too_fast = 0
    assert (await appeal(desk_client, aid="170002"))[1]["code"] == 0


async def test_comment_report_json_and_preflight(desk_client):
    preflight = await desk_client.options(COMMENT, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status == 204
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    fields = {"type": 1, "oid": 170001, "rpid": 42, "reason": 2, "content": "", "csrf": SESSION["bili_jct"]}
    response = await desk_client.post(COMMENT, json=fields, headers={"Origin": ORIGIN})
    assert (await response.json())["code"] == 0
    again = await desk_client.post(COMMENT, json=fields, headers={"Origin": ORIGIN})
    assert (await again.json())["code"] == 12008
    assert [r["method"] for r in desk_client.desk.snapshot()] == ["OPTIONS", "POST", "POST"]


async def test_other_origins_get_no_cors(desk_client):
    response = await desk_client.post(APPEAL, data={"aid": "1", "csrf": "x"},
                                      headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_down_answers_503_and_is_recorded(desk_client):
    desk_client.desk.down = True
    response = await desk_client.post(APPEAL, data={"aid": "1"})
    assert response.status == 503
    assert desk_client.desk.snapshot()[0]["status"] == 503
    desk_client.desk.down = False
    assert (await appeal(desk_client, aid="1"))[1]["code"] == 0


async def test_replay_server_serves_them_with_control_routes(aiohttp_client):
    desk = ReportDesk(too_fast=0)
    client = await aiohttp_client(build_app([], desk), cookies=SESSION)
    down = await client.post("/__replay/down?on=1")
    assert (await down.json()) == {"down": True}
    # The replay app routes by Host: ask for api.bilibili.com as the proxy would.
    headers = {"Host": "api.bilibili.com", "Origin": ORIGIN}
    refused = await client.post(APPEAL, data={"aid": "9"}, headers=headers)
    assert refused.status == 503
    await client.post("/__replay/down?on=0")
    ok = await client.post(APPEAL, data={"aid": "9", "csrf": SESSION["bili_jct"]}, headers=headers)
    assert (await ok.json())["code"] == 0
    listed = await (await client.get("/__replay/requests")).json()
    assert [(r["status"], r["code"]) for r in listed] == [(503, None), (200, 0)]
    await client.post("/__replay/reset")
    assert await (await client.get("/__replay/requests")).json() == []
