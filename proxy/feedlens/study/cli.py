"""Command line: feedlens study serve|migrate|create|invite|view|export (docs/study-server.md).

`serve`, `migrate` and `export` work on the database (the configuration's DSN); `create`,
`invite` and `view` ask a running server with the admin token, as the researcher would from
another machine."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from ..clierror import CliError


def add_study_parser(sub) -> None:
    study = sub.add_parser("study", help="the study server: serve, create studies, invite, export",
                           description="Run a study server on PostgreSQL and manage its studies "
                                       "(docs/study-server.md).")
    commands = study.add_subparsers(dest="study_command", required=True)
    serve = commands.add_parser("serve", help="run the server (migrates the database first)")
    serve.add_argument("--config", help="YAML settings (FEEDLENS_STUDY_* variables win)")
    serve.set_defaults(func=cmd_serve)
    migrate = commands.add_parser("migrate", help="bring the database schema up to date and exit")
    migrate.add_argument("--config", help="YAML settings (FEEDLENS_STUDY_* variables win)")
    migrate.set_defaults(func=cmd_migrate)
    create = commands.add_parser("create", help="create a study from a YAML definition")
    create.add_argument("file", help="the study: id, title, consent {version, text}, fields, "
                        "retention_days, start, end, upload_interval")
    invite = commands.add_parser("invite", help="make single-use invitation codes")
    invite.add_argument("study")
    invite.add_argument("--count", type=int, default=1)
    view = commands.add_parser("view", help="participation, composition and data quality (JSON)")
    view.add_argument("study")
    for command in (create, invite, view):
        command.add_argument("--server", default=os.environ.get("FEEDLENS_STUDY_URL", "http://127.0.0.1:8790"),
                             help="the server's URL (default: $FEEDLENS_STUDY_URL or http://127.0.0.1:8790)")
        command.add_argument("--token-file", help="file with the admin token "
                             "(default: $FEEDLENS_STUDY_ADMIN_TOKEN)")
    create.set_defaults(func=cmd_create)
    invite.set_defaults(func=cmd_invite)
    view.set_defaults(func=cmd_view)
    export = commands.add_parser("export", help="a study's records as Parquet, one file per day")
    export.add_argument("study")
    export.add_argument("-o", "--output", required=True, help="directory (day=YYYY-MM-DD/ inside)")
    export.add_argument("--config", help="YAML settings (FEEDLENS_STUDY_* variables win)")
    export.set_defaults(func=cmd_export)


def _config(args):
    from .config import ConfigError, load
    try:
        return load(getattr(args, "config", None))
    except ConfigError as exc:
        raise CliError(f"study server settings: {exc}", "see docs/study-server.md") from None


def _asyncpg():
    try:
        import asyncpg
    except ImportError:
        raise CliError("the study server needs asyncpg", "pip install 'feedlens[study]'") from None
    return asyncpg


def cmd_serve(args) -> int:
    import logging

    from aiohttp import web

    from .app import make_app
    from .config import ConfigError

    _asyncpg()
    config = _config(args)
    try:
        app = make_app(config)
    except ConfigError as exc:
        raise CliError(str(exc), "see docs/study-server.md") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    print(f"study server on http://{config.host}:{config.port}", flush=True)
    web.run_app(app, host=config.host, port=config.port, print=None, access_log=None)
    return 0


def cmd_migrate(args) -> int:
    import asyncio

    from . import migrate

    asyncpg, config = _asyncpg(), _config(args)

    async def run():
        conn = await asyncpg.connect(config.dsn)
        try:
            return await migrate.migrate(conn), await migrate.version(conn)
        finally:
            await conn.close()
    applied, version = asyncio.run(run())
    print(f"schema version {version}" + (f" (applied {applied})" if applied else " (up to date)"))
    return 0


def _token(args) -> str:
    if args.token_file:
        try:
            return Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CliError(f"--token-file: {exc}") from None
    token = os.environ.get("FEEDLENS_STUDY_ADMIN_TOKEN", "")
    if not token:
        raise CliError("no admin token", "set FEEDLENS_STUDY_ADMIN_TOKEN or give --token-file")
    return token


def admin_request(server: str, token: str, method: str, path: str, payload=None) -> dict:
    data = None if payload is None else json.dumps(payload, default=str).encode()
    request = urllib.request.Request(server.rstrip("/") + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        raise CliError(f"the study server refused: {message} (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CliError(f"cannot reach the study server at {server}: {exc}") from None


def cmd_create(args) -> int:
    try:
        spec = yaml.safe_load(Path(args.file).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    study = admin_request(args.server, _token(args), "POST", "/api/admin/studies", spec)
    print(f"created study {study['id']}: consent version {study['consent']['version']} in "
          f"{', '.join(sorted(study['consent']['text']))}; fields: {', '.join(study['fields']) or 'none'}")
    return 0


def cmd_invite(args) -> int:
    result = admin_request(args.server, _token(args), "POST",
                           f"/api/admin/studies/{args.study}/invitations", {"count": args.count})
    for code in result["codes"]:
        print(code)
    return 0


def cmd_view(args) -> int:
    print(json.dumps(admin_request(args.server, _token(args), "GET",
                                   f"/api/admin/studies/{args.study}/view"), ensure_ascii=False, indent=1))
    return 0


def cmd_export(args) -> int:
    import asyncio

    from .export import export

    asyncpg, config = _asyncpg(), _config(args)

    async def run():
        conn = await asyncpg.connect(config.dsn)
        try:
            return await export(conn, args.study, Path(args.output))
        finally:
            await conn.close()
    files, rows = asyncio.run(run())
    print(f"exported {rows:,} records of {args.study} in {files} day files to {args.output}",
          file=sys.stderr)
    return 0
