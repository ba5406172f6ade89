"""The study server's aiohttp application: participants' routes (invitation, enrolment, signed
uploads, withdrawal, deletion, pause) and the researcher's admin routes (bearer token)."""

from __future__ import annotations

import asyncio
import json
import logging
import zlib

from aiohttp import web

from ..research import signing
from . import admin, ingest, join_page, migrate, participants, records, render, studies, view
from . import view_time
from .config import ServerConfig
from .guard import TOKEN, RateLimit, fail, json_errors, origin_guard, require_admin, signed_by

log = logging.getLogger(__name__)

CONFIG = web.AppKey("config", ServerConfig)
LIMIT = web.AppKey("limit", RateLimit)
POOL = web.AppKey("pool", object)


def make_app(config: ServerConfig, pool=None) -> web.Application:
    """The app; it opens (and migrates) its own pool on startup unless one is given."""
    app = web.Application(middlewares=[json_errors, origin_guard(config.origin)],
                          client_max_size=config.limits.max_body_bytes)
    app[CONFIG], app[TOKEN] = config, config.token()
    app[LIMIT] = RateLimit(config.limits.uploads_per_minute, config.limits.upload_burst)
    app[POOL] = pool
    app.cleanup_ctx.append(_lifecycle)
    app.add_routes([
        web.get("/api/health", health),
        web.post("/api/invitation", invitation),
        web.post("/api/enrol", enrol),
        web.post("/api/upload", upload),
        web.post("/api/withdraw", withdraw),
        web.post("/api/delete", delete),
        web.post("/api/state", state),
        web.post("/api/admin/studies", create_study),
        web.post("/api/admin/studies/{study}/invitations", invite),
        web.post("/api/admin/studies/{study}/consent", add_consent),
        web.get("/api/admin/studies/{study}/view", researcher_view),
        web.post("/api/admin/expire", expire_now),
    ])
    render.setup(app)
    admin.setup(app, config, _pool)
    join_page.setup(app, config, _pool)
    return app


def _pool(app: web.Application):
    return app[POOL]


async def _lifecycle(app: web.Application):
    import asyncpg

    config: ServerConfig = app[CONFIG]
    owned = app[POOL] is None
    if owned:
        app[POOL] = await asyncpg.create_pool(config.dsn, min_size=config.pool_min,
                                                max_size=config.pool_max)
    async with app[POOL].acquire() as conn:
        applied = await migrate.migrate(conn)
    if applied:
        log.info("study server: applied schema migrations %s", applied)
    task = asyncio.create_task(_expire_loop(app), name="study-expire")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    if owned:
        await app[POOL].close()


async def _expire_loop(app: web.Application) -> None:
    while True:
        try:
            async with app[POOL].acquire() as conn:
                removed = await participants.expire(conn)
            if removed:
                log.info("study server: retention deleted %d records", removed)
        except Exception:  # the next run tries again; the server keeps serving
            log.exception("study server: retention run failed")
        await asyncio.sleep(app[CONFIG].expire_interval)


async def _json(request: web.Request) -> dict:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise fail(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise fail(400, "a JSON object is expected")
    return data


async def _run(request: web.Request, work):
    """work(conn) on a pooled connection; a StudyError becomes its HTTP status."""
    try:
        async with request.app[POOL].acquire() as conn:
            return await work(conn)
    except (studies.StudyError, records.Refused) as exc:
        raise fail(getattr(exc, "status", 422), str(exc)) from None


async def health(request: web.Request) -> web.Response:
    version = await _run(request, migrate.version)
    return web.json_response({"ok": True, "schema": version})


# ---- participants ------------------------------------------------------------------------

async def invitation(request: web.Request) -> web.Response:
    data = await _json(request)
    code = data.get("code")
    if not isinstance(code, str):
        raise fail(400, "code: the invitation code")
    return web.json_response(await _run(request, lambda conn: studies.invitation(conn, code)))


async def enrol(request: web.Request) -> web.Response:
    data = await _json(request)
    code, version = data.get("code"), data.get("consent_version")
    if not isinstance(code, str) or not isinstance(version, str):
        raise fail(400, "code and consent_version are needed")
    result = await _run(request, lambda conn: studies.enrol(
        conn, code, version, data.get("fields"), data.get("language", "en")))
    return web.json_response(result)


async def _signed(request: web.Request, conn, *, active: bool = True):
    """(body, enrolled) of a request the participant's key signed; refuses anything else."""
    study_id = request.headers.get(signing.STUDY, "")
    participant = request.headers.get(signing.PARTICIPANT, "")
    body = await request.read()
    found = await participants.load(conn, study_id, participant)
    if found is None or not signed_by(request, found[0], body):
        raise fail(401, "unknown participant or bad signature")
    if active and found[2] == "withdrawn":
        raise fail(410, "this participant has withdrawn")
    return body, found[1]


def _inflate(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=31)  # gzip
    try:
        data = inflater.decompress(body, limit)
    except zlib.error:
        raise fail(400, "the upload is not gzip") from None
    if inflater.unconsumed_tail:
        raise fail(413, "the upload is too large unpacked")
    return data


async def upload(request: web.Request) -> web.Response:
    limits = request.app[CONFIG].limits

    async def work(conn):
        body, who = await _signed(request, conn)
        wait = request.app[LIMIT].take((who.study_id, who.participant))
        if wait:
            raise fail(429, "too many uploads: wait", **{"Retry-After": str(int(wait) + 1)})
        try:
            batch = json.loads(_inflate(body, limits.max_inflated_bytes))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise fail(400, "the upload is not JSON") from None
        items = batch.get("records") if isinstance(batch, dict) else None
        if isinstance(items, list) and len(items) > limits.max_records:
            raise fail(413, f"at most {limits.max_records} records per upload")
        rows = records.check(items, who)
        new = await ingest.insert(conn, who.study_id, who.participant, rows)
        return {"received": len(rows), "new": new}
    return web.json_response(await _run(request, work))


async def withdraw(request: web.Request) -> web.Response:
    async def work(conn):
        _, who = await _signed(request, conn, active=False)
        return await participants.withdraw(conn, who.study_id, who.participant)
    return web.json_response(await _run(request, work))


async def delete(request: web.Request) -> web.Response:
    async def work(conn):
        body, who = await _signed(request, conn, active=False)
        data = json.loads(body or b"{}")
        return await participants.delete(conn, who.study_id, who.participant,
                                         data.get("since"), data.get("until"))
    return web.json_response(await _run(request, work))


async def state(request: web.Request) -> web.Response:
    async def work(conn):
        body, who = await _signed(request, conn)
        paused = json.loads(body or b"{}").get("paused")
        if not isinstance(paused, bool):
            raise fail(400, "paused: true or false")
        return {"state": await participants.set_paused(conn, who.study_id, who.participant, paused)}
    return web.json_response(await _run(request, work))


# ---- the researcher ------------------------------------------------------------------------

async def create_study(request: web.Request) -> web.Response:
    require_admin(request)
    spec = await _json(request)
    return web.json_response(await _run(request, lambda conn: studies.create(conn, spec)), status=201)


async def invite(request: web.Request) -> web.Response:
    require_admin(request)
    count = (await _json(request)).get("count", 1)
    study_id = request.match_info["study"]
    codes = await _run(request, lambda conn: studies.invite(conn, study_id, count))
    return web.json_response({"study": study_id, "codes": codes}, status=201)


async def add_consent(request: web.Request) -> web.Response:
    require_admin(request)
    data = await _json(request)
    study_id = request.match_info["study"]
    return web.json_response(await _run(request, lambda conn: studies.add_consent(
        conn, study_id, data.get("version"), data.get("text"))), status=201)


async def researcher_view(request: web.Request) -> web.Response:
    require_admin(request)
    study_id = request.match_info["study"]

    async def work(conn):
        summary = await view.summary(conn, study_id)
        return {**summary, "over_time": await view_time.over_time(conn, summary["study"])}
    return web.json_response(await _run(request, work))


async def expire_now(request: web.Request) -> web.Response:
    require_admin(request)
    return web.json_response({"deleted": await _run(request, participants.expire)})
