"""Command line: `feedlens choices complaint REVERT_ID [--jurisdiction cn|eu] [--out DIR]`.

Reads the revert through `read_case` (the choice watchdog's, passed in by the CLI: features do
not import each other), stores the complaint as a report with its evidence bundle, and writes
the bundle unpacked into DIR and as DIR.zip (checked with `feedlens reports verify`).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Callable

from .. import paths
from ..clierror import CliError
from ..store import FILE_NAME
from . import complaint, store as rstore
from .complaint_text import JURISDICTIONS


def add_complaint_parser(choices_sub, read_case: Callable) -> None:
    parser = choices_sub.add_parser(
        "complaint", help="prepare a complaint with an evidence bundle from a recorded revert",
        description="CN: the platform's complaint channel and 12377, citing Algorithmic Recommendation "
                    "Provisions Art 17. EU: a notice to the platform citing DSA Art 38 and Art 25, with the "
                    "Digital Services Coordinator as the next step. Texts in zh-CN and en.")
    parser.add_argument("revert_id", type=int, metavar="REVERT_ID", help="see `feedlens choices --json`")
    parser.add_argument("--jurisdiction", choices=JURISDICTIONS, default="cn")
    parser.add_argument("--out", help="directory for the bundle (default feedlens-complaint-ID-JUR)")
    parser.add_argument("--data-dir", help="feedlens data directory (default: $XDG_DATA_HOME/feedlens)")
    parser.set_defaults(func=lambda args: cmd_complaint(args, read_case))


def cmd_complaint(args, read_case: Callable) -> int:
    path = paths.data_dir(args.data_dir) / FILE_NAME
    if not path.is_file():
        raise CliError("no item log in this data directory", "check --data-dir")
    report_id, report, parts = asyncio.run(_prepare(path, args.revert_id, args.jurisdiction, read_case))
    out = Path(args.out or f"feedlens-complaint-{args.revert_id}-{args.jurisdiction}")
    archive = complaint.write_out(parts, report_id, report["created"], out)
    print(f"report {report_id} ({report['status']}): {len(parts) - 1} parts and manifest.json in {out}, "
          f"zip {archive}")
    for part in parts:
        if part.name.endswith(".txt"):
            print(f"  {out / part.name}")
    return 0


async def _prepare(path: Path, revert_id: int, jurisdiction: str, read_case: Callable):
    from ..store import Store

    store = Store(path, prune_interval=0)
    await store.start()
    try:
        try:
            report_id = await complaint.prepare_from(store, read_case, revert_id, jurisdiction, time.time())
        except LookupError as exc:
            raise CliError(str(exc), "`feedlens choices reverts` lists the reverts with their ids") from None
        report = await store.run_read(lambda db: _get(db, report_id))
        parts = await store.run_read(lambda db: rstore.parts(db, report_id))
        return report_id, report, parts
    finally:
        await store.close()


def _get(db, report_id: int) -> dict:
    row = db.execute("SELECT id, status, created FROM reports WHERE id = ?", (report_id,)).fetchone()
    return dict(zip(("id", "status", "created"), row))
