"""The participant's side as library code against the real server and PostgreSQL: enrolment
through the client, the uploader sending exactly the preview's rows, once, and resuming after
local deletion of the newest records (SQLite hands their ids out again)."""

from __future__ import annotations

import asyncio

import asyncpg

from feedlens.research import enrolment as enrolments
from feedlens.research import study_client
from feedlens.research.upload import Uploader
from feedlens.study.app import make_app
from feedlens.study.config import ServerConfig
from tests.research_support import Install, distinctive_item, response

from .support import ADMIN, TOKEN, study_spec


async def _server_count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM records")
    finally:
        await conn.close()


async def test_the_uploader_sends_the_preview_once_and_resumes_after_deletion(
        pg_dsn, aiohttp_server, aiohttp_client, tmp_path):
    server = await aiohttp_server(make_app(ServerConfig(dsn=pg_dsn, admin_token=TOKEN, pool_max=3)))
    admin = await aiohttp_client(server)
    assert (await admin.post("/api/admin/studies", json=study_spec(), headers=ADMIN)).status == 201
    code = (await (await admin.post("/api/admin/studies/s1/invitations", json={"count": 1},
                                    headers=ADMIN)).json())["codes"][0]
    url = str(server.make_url("/"))
    answer = await study_client.enrol(url, code, "1", ["title"], "en")
    install = await Install(tmp_path / "data").start()
    try:
        enrolment = enrolments.Enrolment(url, "s1", answer["participant"], answer["key"], "1",
                                         ("title",), "en", 1)
        enrolments.save(install.data_dir, enrolment)
        await install.research.enable("s1", "1", ["title"], 30, participant=answer["participant"])
        await install.feed(response([distinctive_item(n) for n in range(5)]))
        uploader = Uploader(install.research, batch=2)  # three batches
        assert await uploader.upload_once() == 5
        assert await uploader.upload_once() == 0
        preview = await install.research.preview(5)
        assert {r["title"] for r in preview} == {f"TITLEMARK{n:04d}Q 标题" for n in range(5)}
        assert all(r["text"] is None and r["participant"] == answer["participant"] for r in preview)
        assert await _server_count(pg_dsn) == 5

        await install.research.delete()  # every record, here and on the server
        receipt = await study_client.delete(enrolments.load(install.data_dir, "s1"), None, None)
        assert receipt["deleted"] == 5 and await _server_count(pg_dsn) == 0
        await install.feed(response([distinctive_item(n) for n in range(10, 13)]))
        assert await uploader.upload_once() == 3  # ids 1..3 again: the mark went back
        assert await _server_count(pg_dsn) == 3

        # withdrawn on the server: the proxy's upload task stops instead of retrying for ever
        await study_client.withdraw(enrolments.load(install.data_dir, "s1"))
        await install.feed(response([distinctive_item(n) for n in range(20, 22)]))
        await asyncio.wait_for(uploader.run(), 10)
        assert "(410)" in uploader.stopped and await _server_count(pg_dsn) == 0
    finally:
        await install.close()
