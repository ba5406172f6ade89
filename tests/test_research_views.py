"""The research routes over the real app: chart JSON against the store, the audit through its
API, the pages (/research, /research/audit/{id}) in both languages behind the cookie, and the
guided audit's forms."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from feedlens.research import audit
from feedlens.service.pages import csrf_value
from tests.routes_research import CONSENT
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, demo_item, log_in, record, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")

T0 = 1_800_000_000.0


async def fill(runtime, *records):
    for r in records:
        runtime.store.submit(r)
    await runtime.store.flush()


def feed(tag: str, personalized: int, followed: int, promoted: int = 0, at: float | None = None,
         author: str = "alice"):
    provenances = ["personalized"] * personalized + ["followed"] * followed + ["promoted"] * promoted
    return record([demo_item(i, f"{tag}-{i}", p, author_id=author, author=author.title())
                   for i, p in enumerate(provenances)], at=at)


async def enter(client, token, lang: str | None = None):
    """Open the dashboard link once: the client's jar then holds the dashboard cookie."""
    assert (await log_in(client, token, lang)).status == 303


# ---- chart JSON ----------------------------------------------------------------------------

async def test_chart_endpoints_match_the_store(client, auth, runtime):
    await fill(runtime, feed("a", 3, 2, 1), feed("b", 1, 4, author="bob"),
               feed("old", 5, 0, at=time.time() - 40 * 86400))  # outside days=2
    composition = await (await client.get("/api/research/charts/composition?days=2", headers=auth)).json()
    totals: dict[tuple, int] = {}
    for row in composition["rows"]:
        totals[(row["platform"], row["provenance"])] = totals.get((row["platform"], row["provenance"]), 0) + row["n"]
    assert totals == {("demo", "personalized"): 4, ("demo", "followed"): 6, ("demo", "promoted"): 1}
    assert len(composition["days"]) == 2

    shares = await (await client.get("/api/research/charts/shares?days=2", headers=auth)).json()
    assert shares["all"]["items"] == 11
    assert shares["platforms"]["demo"]["shares"]["personalized"] == pytest.approx(4 / 11)

    sources = await (await client.get("/api/research/charts/sources?days=2&limit=1", headers=auth)).json()
    assert sources["sources"] == [{"platform": "demo", "author_id": "alice", "author": "Alice", "n": 6}]

    other = await (await client.get("/api/research/charts/composition?days=2&platform=nope",
                                    headers=auth)).json()
    assert other["rows"] == [] and other["platform"] == "nope"


@pytest.mark.parametrize("path", [
    "/api/research/charts/composition?days=0", "/api/research/charts/composition?days=x",
    "/api/research/charts/shares?days=367", "/api/research/charts/sources?limit=101",
    "/api/research/charts/shares?weeks=2", "/api/research/monthly?month=2026-13",
    "/api/research/audit/1/report?x=1",
])
async def test_bad_query_parameters_are_400(client, auth, path):
    response = await client.get(path, headers=auth)
    assert response.status == 400 and "error" in await response.json()


async def test_monthly_endpoint_matches_the_submitted_items(client, auth, runtime):
    march = datetime(2026, 3, 15, 12, 0).timestamp()  # local time, like the report's months
    await fill(runtime, feed("m", 2, 3, at=march), feed("n", 1, 0, at=march - 31 * 86400))
    report = await (await client.get("/api/research/monthly?month=2026-03", headers=auth)).json()
    assert report["month"] == "2026-03" and report["items"] == 5
    assert report["all"]["counts"] == {"followed": 3, "personalized": 2}
    assert report["previous"] == {"month": "2026-02", "items": 1, "all": {
        "items": 1, "counts": {"personalized": 1}, "shares": {"personalized": 1.0}}}
    assert report["top_sources"] == [{"platform": "demo", "author_id": "alice",
                                      "author": "Alice", "n": 5}]
    before = time.strftime("%Y-%m")
    default = await (await client.get("/api/research/monthly", headers=auth)).json()
    assert default["month"] in (before, time.strftime("%Y-%m"))  # this month by default


# ---- the audit through the API -------------------------------------------------------------

async def test_a_guided_audit_through_the_api(client, auth, runtime):
    started = await client.post("/api/research/audit", headers=auth,
                                json={"platform": "demo", "note": "phone", "condition": "on"})
    assert started.status == 201
    session = (await started.json())["session"]
    assert session["condition"] == "on" and session["finished"] is None
    sid = session["id"]

    switched = await client.post(f"/api/research/audit/{sid}/condition", headers=auth,
                                 json={"condition": "off"})
    assert switched.status == 200
    t_on, t_off = [s["time"] for s in (await switched.json())["session"]["switches"]]
    finished = await client.post(f"/api/research/audit/{sid}/finish", headers=auth)
    t_end = (await finished.json())["session"]["finished"]
    # Items logged inside each window (times taken from the marks the service recorded).
    await fill(runtime, feed("on1", 6, 4, at=(t_on + t_off) / 2), feed("on2", 3, 7, at=(t_on + t_off) / 2),
               feed("off1", 1, 9, at=(t_off + t_end) / 2), feed("off2", 0, 10, at=(t_off + t_end) / 2))

    report = await (await client.get(f"/api/research/audit/{sid}/report", headers=auth)).json()
    on, off = report["conditions"]["on"], report["conditions"]["off"]
    assert (on["personalized"], on["items"], on["responses"]) == (9, 20, 2)
    assert (off["personalized"], off["items"], off["responses"]) == (1, 20, 2)
    assert report["test"]["z"] == pytest.approx(
        audit.two_proportion_z(9, 20, 1, 20)[0])
    assert all(c["text"] for c in report["caveats"])  # JSON readers get the sentences too
    listed = await (await client.get("/api/research/audit", headers=auth)).json()
    assert [s["id"] for s in listed["sessions"]] == [sid]
    assert listed["sessions"][0]["finished"] == t_end


async def test_audit_api_refusals(client, auth):
    assert (await client.post("/api/research/audit", headers=auth,
                              json={"platform": "nowhere"})).status == 400
    assert (await client.post("/api/research/audit", headers=auth,
                              json={"platform": "demo", "condition": "half"})).status == 400
    assert (await client.post("/api/research/audit", headers=auth,
                              json={"platform": "demo", "note": "x" * 501})).status == 400
    assert (await client.post("/api/research/audit", headers=auth,
                              json={"platform": "demo", "extra": 1})).status == 400
    assert (await client.get("/api/research/audit/99/report", headers=auth)).status == 404
    assert (await client.post("/api/research/audit/99/finish", headers=auth)).status == 404
    sid = (await (await client.post("/api/research/audit", headers=auth,
                                    json={"platform": "demo"})).json())["session"]["id"]
    assert (await client.post(f"/api/research/audit/{sid}/condition", headers=auth,
                              json={"condition": "sideways"})).status == 400
    assert (await client.post(f"/api/research/audit/{sid}/condition", headers=auth,
                              json={"condition": "on"})).status == 200
    again = await client.post(f"/api/research/audit/{sid}/condition", headers=auth,
                              json={"condition": "on"})
    assert again.status == 409
    assert (await client.post(f"/api/research/audit/{sid}/finish", headers=auth, json={})).status == 200
    assert (await client.post(f"/api/research/audit/{sid}/finish", headers=auth)).status == 409


# ---- pages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/research", "/research/audit/1"])
async def test_pages_need_the_dashboard_cookie(client, token, path):
    response = await client.get(path)
    assert response.status == 401
    assert "<svg" not in await response.text()


async def test_the_dashboard_cookie_does_not_open_the_research_api(client, token):
    await enter(client, token)
    assert (await client.get("/api/research/charts/shares")).status == 401


@pytest.mark.parametrize("lang,words", [
    ("en", ["built from your own item log", "Feed composition by day", "Switch audit",
            "Monthly report", "Research mode", "Off: nothing is recorded"]),
    ("zh", ["来自你自己的条目日志", "每日信息流构成", "个性化开关审计", "月度报告", "研究模式",
            "关闭：不为任何研究记录数据"]),
])
async def test_the_research_page_in_both_languages(client, token, runtime, lang, words):
    await fill(runtime, feed("p", 4, 2, 1))
    await enter(client, token)
    response = await client.get(f"/research?lang={lang}")
    text = await response.text()
    assert response.status == 200
    assert all(w in text for w in words), [w for w in words if w not in text]
    csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert "<script" not in text and 'style="' not in text
    svgs = re.findall(r'<svg viewBox="[^"]*" role="img".*?</svg>', text, re.S)
    # composition (one platform), shares, top sources, provenance × format (period and month)
    assert len(svgs) == 5
    for svg in svgs:  # each chart parses as SVG and names itself
        root = ET.fromstring(svg)
        assert root.find("{http://www.w3.org/2000/svg}title").text
        assert root.find("{http://www.w3.org/2000/svg}desc").text
    assert "<details" in text  # the data tables
    assert ".c-personalized" in text  # colours come from the nonce'd style


async def test_the_research_page_shows_consent_and_pause(client, token, auth):
    assert (await client.post("/api/research/consent", headers=auth, json=CONSENT)).status == 201
    assert (await client.post("/api/research/pause", headers=auth, json={"paused": True})).status == 200
    await enter(client, token)
    text = await (await client.get("/research?lang=en")).text()
    assert "Paused: nothing is recorded until you resume." in text
    assert CONSENT["study_id"] in text and CONSENT["consent_version"] in text


async def test_the_audit_report_page_in_both_languages(client, token, runtime):
    session = await audit.start(runtime.store, "demo", "evening <test>", T0, condition="on")
    await audit.switch(runtime.store, session.id, "off", T0 + 100)
    await audit.finish(runtime.store, session.id, T0 + 200)
    await fill(runtime, *[feed(f"on{i}", 6, 4, at=T0 + 10 + i) for i in range(10)],
               *[feed(f"off{i}", k, 10 - k, at=T0 + 110 + i)
                 for i, k in enumerate([3, 2, 2, 2, 1, 1, 1, 1, 1, 1])])
    await enter(client, token)
    en = await (await client.get(f"/research/audit/{session.id}?lang=en")).text()
    # 60/100 vs 15/100: Wilson 50.2 %–69.1 % and 9.3 %–23.3 %, z = 6.573 (see test_research_audit)
    for fragment in ["60 (60.0 %)", "15 (15.0 %)", "50.2 % – 69.1 %", "9.3 % – 23.3 %",
                     "+45.0 pp", "6.573", "&lt; 0.0001", "two-proportion z-test",
                     "Caveats", "evening &lt;test&gt;", "time of day"]:
        assert fragment in en, fragment
    zh = await (await client.get(f"/research/audit/{session.id}?lang=zh")).text()
    for fragment in ["60 (60.0 %)", "双样本比例 z 检验", "注意事项", "个性化开启"]:
        assert fragment in zh, fragment
    missing = await client.get(f"/research/audit/{session.id + 1}")
    assert missing.status == 404


# ---- the guided audit's forms ---------------------------------------------------------------

def origin(client) -> str:
    return f"http://127.0.0.1:{client.port}"


async def test_the_audit_forms_start_switch_and_finish(client, token, runtime):
    await enter(client, token)
    page = await (await client.get("/research?lang=en")).text()
    assert csrf_value(token, "/research/audit") in page
    headers = {"Origin": origin(client)}
    started = await client.post("/research/audit?lang=en", headers=headers, allow_redirects=False,
                                data={"platform": "demo", "note": "", "csrf": csrf_value(token, "/research/audit")})
    assert started.status == 303
    assert started.headers["Location"] == "/research?lang=en&notice=started#audit"
    [session] = await audit.list_sessions(runtime.store)
    assert session.condition == "on" and session.note is None
    path = f"/research/audit/{session.id}"
    page = await (await client.get("/research?lang=en")).text()
    assert "Personalisation is now off" in page and csrf_value(token, path + "/condition") in page
    switched = await client.post(path + "/condition", headers=headers, allow_redirects=False,
                                 data={"condition": "off", "csrf": csrf_value(token, path + "/condition")})
    assert switched.status == 303
    assert (await audit.get(runtime.store, session.id)).condition == "off"
    finished = await client.post(path + "/finish?lang=zh", headers=headers, allow_redirects=False,
                                 data={"csrf": csrf_value(token, path + "/finish")})
    assert finished.status == 303 and finished.headers["Location"] == f"{path}?lang=zh"
    assert (await audit.get(runtime.store, session.id)).finished is not None
    again = await client.post(path + "/finish?lang=zh", headers=headers,
                              data={"csrf": csrf_value(token, path + "/finish")})
    assert again.status == 200 and again.content_type == "text/html"  # the page, not JSON
    assert "该审计会话已结束" in await again.text()


async def test_a_bad_audit_form_answers_with_the_page_and_a_translated_error(client, token):
    await enter(client, token)
    response = await client.post("/research/audit?lang=en", headers={"Origin": origin(client)},
                                 data={"platform": "nope", "csrf": csrf_value(token, "/research/audit")})
    assert response.status == 200 and response.content_type == "text/html"
    assert "The audit could not start" in await response.text()


async def test_audit_forms_need_the_csrf_field_and_own_origin(client, token, runtime):
    await enter(client, token)
    good = {"platform": "demo", "csrf": csrf_value(token, "/research/audit")}
    no_csrf = await client.post("/research/audit", headers={"Origin": origin(client)},
                                data={"platform": "demo"}, allow_redirects=False)
    other_action = await client.post("/research/audit", headers={"Origin": origin(client)},
                                     data={"platform": "demo", "csrf": csrf_value(token, "/research/audit/1/finish")},
                                     allow_redirects=False)
    foreign = await client.post("/research/audit", headers={"Origin": "https://evil.example"},
                                data=good, allow_redirects=False)
    assert (no_csrf.status, other_action.status, foreign.status) == (403, 403, 403)
    assert await audit.list_sessions(runtime.store) == []
