"""The study server as the admin page's and the pooled audit's tests reach it: an aiohttp test
client on a real PostgreSQL database (tests/pg_support.py), emptied for each test, whose
configured origin is the one the client uses."""

from __future__ import annotations

import asyncpg
import pytest

from feedlens.study.app import make_app
from feedlens.study.config import ServerConfig
from tests.pg_support import free_port

from .support import TOKEN


@pytest.fixture
async def server(pg_dsn, aiohttp_client):
    port = free_port()  # the configured origin must be the one the client reaches
    config = ServerConfig(dsn=pg_dsn, admin_token=TOKEN, port=port, pool_max=4)
    client = await aiohttp_client(make_app(config), server_kwargs={"port": port})
    conn = await asyncpg.connect(pg_dsn)
    await conn.execute("TRUNCATE studies, records, receipts CASCADE")
    await conn.close()
    client.origin = f"http://127.0.0.1:{port}"
    return client
