"""The study server against a real PostgreSQL (tests/pg_support.py): migrations, studies and
single-use invitations, signed idempotent uploads checked against the consent, withdrawal with
a receipt, retention, the researcher's view, limits and the admin gates."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import asyncpg
import pytest

from feedlens.study import migrate
from feedlens.study.app import make_app
from feedlens.study.config import Limits, ServerConfig

from .support import ADMIN, NOW, TOKEN, record, signed, study_spec, upload_body

DAY = 86400.0


@pytest.fixture
async def server(pg_dsn, aiohttp_client):
    config = ServerConfig(dsn=pg_dsn, admin_token=TOKEN, pool_max=4,
                          limits=Limits(upload_burst=5, uploads_per_minute=1))
    client = await aiohttp_client(make_app(config))
    async with _conn(pg_dsn) as conn:
        await conn.execute("TRUNCATE studies, records, receipts CASCADE")
    return client


class _conn:
    def __init__(self, dsn):
        self.dsn = dsn

    async def __aenter__(self):
        self.conn = await asyncpg.connect(self.dsn)
        return self.conn

    async def __aexit__(self, *exc):
        await self.conn.close()


async def _enrolled(client, codes=1, fields=("title",), **spec) -> list[dict]:
    response = await client.post("/api/admin/studies", json=study_spec(fields=fields, **spec),
                                 headers=ADMIN)
    assert response.status == 201, await response.text()
    response = await client.post("/api/admin/studies/s1/invitations", json={"count": codes},
                                 headers=ADMIN)
    people = []
    for code in (await response.json())["codes"]:
        answer = await client.post("/api/enrol", json={"code": code, "consent_version": "1",
                                                       "fields": list(fields), "language": "zh-CN"})
        assert answer.status == 200, await answer.text()
        people.append(await answer.json())
    return people


async def _upload(client, enrolment, records):
    body = upload_body(records)
    return await client.post("/api/upload", data=body, headers=signed(enrolment, "/api/upload", body))


async def test_migrations_run_once_and_make_a_day_partitioned_table(pg_dsn, server):
    async with _conn(pg_dsn) as conn:
        assert await migrate.version(conn) == len(migrate.migrations())
        assert await migrate.migrate(conn) == []
        kind = await conn.fetchval("SELECT relkind FROM pg_class WHERE relname = 'records'")
    assert kind == b"p"  # partitioned


async def test_invitation_shows_the_consent_and_a_code_enrols_once(server):
    response = await server.post("/api/admin/studies", json=study_spec(), headers=ADMIN)
    assert response.status == 201
    code = (await (await server.post("/api/admin/studies/s1/invitations", json={"count": 1},
                                     headers=ADMIN)).json())["codes"][0]
    shown = await (await server.post("/api/invitation", json={"code": code})).json()
    assert shown["consent"]["text"]["zh-CN"] == "我们记录你的信息流内容。"
    assert shown["fields"] == ["title"]
    enrol = {"code": code, "consent_version": "1", "fields": ["title"], "language": "en"}
    first = await server.post("/api/enrol", json=enrol)
    again = await server.post("/api/enrol", json=enrol)
    assert first.status == 200 and again.status == 404
    assert len((await first.json())["participant"]) == 16


async def test_admin_routes_need_the_token_and_refuse_other_origins(server):
    assert (await server.post("/api/admin/studies", json=study_spec())).status == 401
    wrong = {"Authorization": "Bearer " + "x" * len(TOKEN)}
    assert (await server.post("/api/admin/studies", json=study_spec(), headers=wrong)).status == 401
    cross = dict(ADMIN, Origin="https://evil.example")
    assert (await server.post("/api/admin/studies", json=study_spec(), headers=cross)).status == 403


async def test_uploads_are_idempotent_signed_and_checked_against_the_consent(pg_dsn, server):
    alice, = await _enrolled(server)
    records = [record(alice, n, NOW - (n % 2) * DAY, title=f"t{n}") for n in range(1, 7)]
    first = await _upload(server, alice, records)
    assert (await first.json()) == {"received": 6, "new": 6}
    again = await _upload(server, alice, records)
    assert (await again.json()) == {"received": 6, "new": 0}
    leaking = await _upload(server, alice, [record(alice, 9, text="not consented")])
    assert leaking.status == 422 and "'text' was not consented" in (await leaking.json())["error"]
    body = upload_body([record(alice, 10)])
    forged = signed(dict(alice, key="00" * 32), "/api/upload", body)
    assert (await server.post("/api/upload", data=body, headers=forged)).status == 401
    async with _conn(pg_dsn) as conn:
        assert await conn.fetchval("SELECT count(*) FROM records") == 6
        assert await conn.fetchval("SELECT count(*) FROM records WHERE text IS NOT NULL") == 0
        parts = await conn.fetchval("SELECT count(*) FROM pg_inherits i JOIN pg_class p"
                                    " ON p.oid = i.inhparent WHERE p.relname = 'records'")
    assert parts == 2  # today and yesterday


async def test_withdrawal_deletes_on_the_server_and_returns_a_receipt(pg_dsn, server):
    alice, bob = await _enrolled(server, codes=2)
    await _upload(server, alice, [record(alice, n) for n in range(5)])
    await _upload(server, bob, [record(bob, n) for n in range(3)])
    body = b""
    receipt = await (await server.post("/api/withdraw", data=body,
                                       headers=signed(alice, "/api/withdraw", body))).json()
    assert receipt["deleted"] == 5 and receipt["action"] == "withdraw" and receipt["receipt"]
    assert (await _upload(server, alice, [record(alice, 99)])).status == 410
    async with _conn(pg_dsn) as conn:
        left = await conn.fetch("SELECT DISTINCT participant FROM records")
        stored = await conn.fetchval("SELECT deleted FROM receipts WHERE id = $1", receipt["receipt"])
    assert [r[0] for r in left] == [bob["participant"]] and stored == 5
    view = await (await server.get("/api/admin/studies/s1/view", headers=ADMIN)).json()
    assert view["participation"]["withdrawn"] == 1 and view["participation"]["active"] == 1
    assert view["composition"] == [{"day": view["composition"][0]["day"], "platform": "demo",
                                    "provenance": "personalized", "items": 3, "people": 1}]


async def test_retention_expiry_and_upload_rate_limit(pg_dsn, server):
    alice, = await _enrolled(server)
    old = [record(alice, n, NOW - 2.5 * DAY) for n in range(4)]
    assert (await _upload(server, alice, old + [record(alice, 10)])).status == 200
    async with _conn(pg_dsn) as conn:
        await conn.execute("UPDATE studies SET retention_days = 2")
    assert (await (await server.post("/api/admin/expire", headers=ADMIN)).json())["deleted"] == 4
    statuses = [(await _upload(server, alice, [record(alice, 20 + n)])).status for n in range(6)]
    assert statuses[:4] == [200] * 4 and statuses[-1] == 429  # burst 5, the first upload counted


async def test_concurrent_uploads_make_each_day_partition_once(pg_dsn, server):
    start = datetime.fromtimestamp(NOW - 9 * DAY, timezone.utc).isoformat()
    people = await _enrolled(server, codes=4, start=start)
    days = [NOW - 5 * DAY, NOW - 6 * DAY]  # days no other test made
    answers = await asyncio.gather(*(_upload(server, who, [record(who, n, days[n % 2]) for n in range(4)])
                                     for who in people))
    assert [a.status for a in answers] == [200] * 4
    async with _conn(pg_dsn) as conn:
        assert await conn.fetchval("SELECT count(*) FROM records") == 16
