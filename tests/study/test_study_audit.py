"""The switch audit pooled on the study server, against a real PostgreSQL: records uploaded with
their audit condition by two participants give, per platform, the figures that the local
audit's own functions (feedlens.research.audit) give on the same counts, each (participant,
response) one cluster; the researcher's JSON view and the admin page show them; a study that
did not request the field refuses records carrying it; and the participant's uploader sends
the condition of its own audit session."""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from feedlens.research import audit, study_client
from feedlens.research import enrolment as enrolments
from feedlens.research.upload import Uploader
from feedlens.study.app import make_app
from feedlens.study.config import ServerConfig
from tests.research_support import NOW, Install, distinctive_item, response

from .support import ADMIN, TOKEN, record, signed, study_spec, upload_body

FIELD = "audit_condition"
# (participant, condition, response id) -> (personalised, items); alice and bob share response
# ids, so pooling by response id alone would merge their clusters
FEED = {("alice", "on", 1): (2, 3), ("alice", "on", 2): (2, 2), ("alice", "off", 3): (0, 3),
        ("alice", "off", 4): (1, 2), ("bob", "on", 1): (3, 4), ("bob", "off", 2): (1, 3),
        ("bob", "off", 3): (0, 2)}


async def _enrol(server, study_id: str, requested: list[str], count: int) -> list[dict]:
    spec = study_spec(study_id, fields=requested)
    assert (await server.post("/api/admin/studies", json=spec, headers=ADMIN)).status == 201
    codes = (await (await server.post(f"/api/admin/studies/{study_id}/invitations",
                                      json={"count": count}, headers=ADMIN)).json())["codes"]
    people = []
    for code in codes:
        answer = await server.post("/api/enrol", json={"code": code, "consent_version": "1",
                                                       "fields": requested, "language": "en"})
        assert answer.status == 200, await answer.text()
        people.append(await answer.json())
    return people


async def _upload(server, who: dict, rows: list[dict]):
    body = upload_body(rows)
    return await server.post("/api/upload", data=body, headers=signed(who, "/api/upload", body))


def _rows(who: dict, name: str) -> list[dict]:
    rows, n = [], 0
    for (person, condition, response_id), (k, items) in FEED.items():
        for i in range(items if person == name else 0):
            n += 1
            rows.append(record(who, n, platform="youtube", response_id=response_id,
                               provenance="personalized" if i < k else "followed",
                               audit_condition=condition))
    # outside every audit session: not counted
    return rows + [record(who, n + 1, platform="youtube", response_id=9, audit_condition=None)]


def _expected() -> dict[str, audit.ConditionData]:
    data = {c: audit.ConditionData([], [], {}) for c in audit.CONDITIONS}
    for (_, condition, _), cluster in FEED.items():
        data[condition].clusters.append(cluster)
    return data


async def test_two_participants_pool_into_the_local_audits_figures(server):
    alice, bob = await _enrol(server, "s1", ["title", FIELD], 2)
    for who, name in ((alice, "alice"), (bob, "bob")):
        answer = await _upload(server, who, _rows(who, name))
        assert answer.status == 200, await answer.text()
    view = await (await server.get("/api/admin/studies/s1/view", headers=ADMIN)).json()
    youtube, = view["over_time"]["switch_audit"]["platforms"]
    data = _expected()
    for condition, d in data.items():
        got = youtube["conditions"][condition]
        assert (got["items"], got["personalized"], got["responses"], got["participants"]) == \
            (d.items, d.personalized, len(d.clusters), 2)
        assert got["ci95"] == pytest.approx(list(audit.wilson(d.personalized, d.items)))
        assert got["cluster_se"] == pytest.approx(audit.cluster_se(d.clusters))
    want = audit.difference_test(data["on"], data["off"])
    assert youtube["test"]["z"] == pytest.approx(want["z"])
    assert youtube["test"]["p_value"] == pytest.approx(want["p_value"])
    assert youtube["test"]["difference_ci95"] == pytest.approx(want["difference_ci95"])
    want = audit.cluster_test(data["on"], data["off"])
    assert want["z"] is not None and youtube["cluster_test"]["z"] == pytest.approx(want["z"])
    assert youtube["cluster_test"]["p_value"] == pytest.approx(want["p_value"])
    # the warnings the participant's own report gives, of the pooled numbers
    conditions = {c: youtube["conditions"][c] for c in audit.CONDITIONS}
    assert youtube["caveats"] == [{"code": "clustering"}, *audit.sample_caveats(conditions)]
    assert any(c["code"] == "few_items" for c in youtube["caveats"])  # a handful of items each

    login = await server.post("/admin/login", data={"token": TOKEN, "lang": "en"},
                              headers={"Origin": server.origin}, allow_redirects=False)
    assert login.status == 303
    page = await (await server.get("/admin/studies/s1?lang=zh")).text()
    assert "个性化关闭" in page and "聚类稳健" in page
    assert 'data-code="few_items"' in page and "区间很宽" in page
    assert f"<td>{want['z']:.2f}</td>" in page  # the cluster-robust z, as on the local audit


async def test_a_study_that_did_not_request_the_field_refuses_it(server):
    plain, = await _enrol(server, "s2", ["title"], 1)
    refused = await _upload(server, plain, [record(plain, 1, audit_condition="off")])
    assert refused.status == 422 and "'audit_condition' was not consented" in await refused.text()
    taken = await _upload(server, plain, [record(plain, 1, audit_condition=None)])
    assert taken.status == 200
    asked, = await _enrol(server, "s3", [FIELD], 1)
    odd = await _upload(server, asked, [record(asked, 1, audit_condition="maybe")])
    assert odd.status == 422 and "audit_condition must be" in await odd.text()
    # a participant's feedlens from before the field (schema 4) sends no such column at all
    older = {k: v for k, v in record(asked, 2).items() if k != FIELD}
    assert (await _upload(server, asked, [older])).status == 200
    missing = {k: v for k, v in record(asked, 3).items() if k != "platform"}  # not consent-gated
    answer = await _upload(server, asked, [missing])
    assert answer.status == 422 and "missing columns: platform" in await answer.text()


async def test_the_uploader_sends_the_condition_of_the_participants_audit(
        pg_dsn, aiohttp_server, tmp_path):
    server = await aiohttp_server(make_app(ServerConfig(dsn=pg_dsn, admin_token=TOKEN, pool_max=3)))
    url = str(server.make_url("/"))
    conn = await asyncpg.connect(pg_dsn)
    install = await Install(tmp_path / "data").start()
    try:
        await conn.execute("TRUNCATE studies, records, receipts CASCADE")
        async with aiohttp.ClientSession() as http:
            spec = study_spec("s4", fields=[FIELD])
            assert (await http.post(url + "api/admin/studies", json=spec, headers=ADMIN)).status == 201
            code = (await (await http.post(url + "api/admin/studies/s4/invitations",
                                           json={"count": 1}, headers=ADMIN)).json())["codes"][0]
        answer = await study_client.enrol(url, code, "1", [FIELD], "en")
        enrolments.save(install.data_dir, enrolments.Enrolment(
            url, "s4", answer["participant"], answer["key"], "1", (FIELD,), "en", 1))
        await install.research.enable("s4", "1", [FIELD], 30, participant=answer["participant"])
        session = await audit.start(install.store, "demo", None, NOW - 300, condition="on")
        await audit.switch(install.store, session.id, "off", NOW - 100)
        await install.feed(response([distinctive_item(0)], at=NOW - 200),
                           response([distinctive_item(1), distinctive_item(2)], at=NOW - 50),
                           response([distinctive_item(3, platform="other")], at=NOW - 50))
        assert await Uploader(install.research).upload_once() == 4
        rows = await conn.fetch("SELECT platform, audit_condition, count(*) AS n FROM records"
                                " GROUP BY 1, 2 ORDER BY 1, 2")
        assert [tuple(r) for r in rows] == [("demo", "off", 2), ("demo", "on", 1), ("other", None, 1)]
    finally:
        await install.close()
        await conn.close()
