"""Export research records as CSV, JSON Lines or Parquet, in the dictionary's column order.

Two tables, one per file: `records` (one row per feed item) and `choice_events` (the choice
watchdog's observations and reverts, choice_events.py), each with the consent columns first.

The same query feeds the participant's preview, so the preview shows exactly what an export
would contain. Records past their consent's retention are never exported, even before the
pruner removed them, and a raw column is emptied unless its field is in the consent.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..store import open_readonly
from .audit import CONDITION_AT
from .dictionary import CHOICE_EVENT_COLUMNS, COLUMNS, NAMES, SCHEMA_VERSION, markdown

FORMATS = ("csv", "jsonl", "parquet")
CHUNK = 20_000
DAY = 86400.0


class ExportError(RuntimeError):
    pass


def _select(column) -> str:
    if column.name == "schema_version":
        return f"{SCHEMA_VERSION}"
    if column.name in ("study_id", "consent_version", "participant"):
        return f"c.{column.name}"
    if column.name in ("record_id", "event_id"):
        return "r.id"
    if column.consent:  # defence in depth: only what the record's consent allows
        value = f"({CONDITION_AT})" if column.name == "audit_condition" else f"r.{column.name}"
        return f"CASE WHEN instr(c.fields, '\"{column.consent}\"') THEN {value} END"
    return f"r.{column.name}"


def _from(table: str) -> str:
    return (f" FROM {table} r JOIN research_consents c ON c.id = r.consent_id"
            " WHERE r.time >= ? AND r.time < ? AND r.time >= ? - c.retention_days * 86400.0")


class Table:
    """One exported table: its dictionary columns and the queries that read them."""

    def __init__(self, name: str, sql_table: str, columns):
        self.name, self.sql_table, self.columns = name, sql_table, tuple(columns)
        self.names = tuple(c.name for c in self.columns)
        self.select = f"SELECT {', '.join(_select(c) for c in self.columns)}{_from(sql_table)}"
        self.count = f"SELECT COUNT(*){_from(sql_table)}"


TABLES = {"records": Table("records", "research_records", COLUMNS),
          "choice_events": Table("choice_events", "research_choice_events", CHOICE_EVENT_COLUMNS)}
RECORDS = TABLES["records"]
SELECT, COUNT = RECORDS.select, RECORDS.count


def _span(since: float | None, until: float | None, now: float | None) -> tuple:
    return (-1e18 if since is None else since, 1e18 if until is None else until,
            time.time() if now is None else now)


def count(conn: sqlite3.Connection, since=None, until=None, now=None, table: Table = RECORDS) -> int:
    return conn.execute(table.count, _span(since, until, now)).fetchone()[0]


def rows(conn: sqlite3.Connection, since=None, until=None, now=None, *,
         newest_first: bool = False, limit: int | None = None,
         table: Table = RECORDS) -> Iterator[list[tuple]]:
    """Chunks of row tuples in the table's column order, oldest first (newest first for the
    preview)."""
    sql = table.select + (" ORDER BY r.id DESC" if newest_first else " ORDER BY r.id")
    params = _span(since, until, now)
    if limit is not None:
        sql += " LIMIT ?"
        params += (limit,)
    cursor = conn.execute(sql, params)
    while chunk := cursor.fetchmany(CHUNK):
        yield chunk


def as_dicts(chunks, names=NAMES) -> list[dict]:
    return [dict(zip(names, row)) for chunk in chunks for row in chunk]


# ---- the file formats ------------------------------------------------------------------------

def write_csv(chunks, out: IO[str], progress, table: Table = RECORDS) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.names)
    for chunk in chunks:
        writer.writerows(chunk)
        progress.advance(len(chunk))


def write_jsonl(chunks, out: IO[str], progress, table: Table = RECORDS) -> None:
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for chunk in chunks:
        out.write("".join(dumps(dict(zip(table.names, row))) + "\n" for row in chunk))
        progress.advance(len(chunk))


def write_parquet(chunks, path: Path, progress, table: Table = RECORDS) -> None:
    pa, pq = _pyarrow()
    types = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string()}
    metadata = {"feedlens.schema_version": str(SCHEMA_VERSION), "feedlens.table": table.name,
                "feedlens.dictionary": json.dumps([c.__dict__ for c in table.columns])}
    schema = pa.schema([pa.field(c.name, types[c.type], metadata={"description": c.description})
                        for c in table.columns], metadata=metadata)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for chunk in chunks:
            columns = zip(*chunk)
            arrays = [pa.array(values, type=field.type) for values, field in zip(columns, schema)]
            writer.write_batch(pa.record_batch(arrays, schema=schema))
            progress.advance(len(chunk))


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError("Parquet export needs pyarrow: pip install 'feedlens[research]' "
                          "(or pip install pyarrow); CSV and JSON Lines work without it") from None
    return pa, pq


# ---- the command -----------------------------------------------------------------------------

def open_log(db_path: Path, table: Table = RECORDS) -> sqlite3.Connection:
    """A read-only connection; the proxy may keep writing (WAL) while we export."""
    if not Path(db_path).is_file():
        raise ExportError(f"no item log at {db_path}: has feedlens run with this data dir?")
    conn = open_readonly(db_path)
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table.sql_table,)).fetchone()
    if found is None:
        conn.close()
        raise ExportError(f"{db_path} has no research tables yet (start feedlens once to upgrade it)")
    return conn


def export(db_path: Path, fmt: str, output: Path | None, since=None, until=None,
           progress_stream: IO[str] | None = None, stdout: IO[str] | None = None,
           table: str = "records") -> int:
    """Write the export of one table; returns the number of rows. output=None writes CSV/JSONL
    to stdout."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}")
    if table not in TABLES:
        raise ExportError(f"table must be one of {', '.join(TABLES)}")
    spec = TABLES[table]
    if fmt == "parquet":
        _pyarrow()
        if output is None:
            raise ExportError("Parquet is binary: name a file with -o FILE")
    conn = open_log(db_path, spec)
    try:
        now = time.time()
        conn.execute("BEGIN")  # one snapshot: the count and the rows agree
        progress = Progress(count(conn, since, until, now, spec), progress_stream or sys.stderr)
        chunks = rows(conn, since, until, now, table=spec)
        if output is None:
            _write_text(fmt, chunks, stdout or sys.stdout, progress, spec)
        else:
            _write_file(fmt, chunks, Path(output), progress, spec)
        progress.finish()
        return progress.done
    finally:
        conn.close()


def _write_file(fmt: str, chunks, output: Path, progress, table: Table) -> None:
    """Write the file; a failed export leaves no half-written file behind."""
    try:
        if fmt == "parquet":
            write_parquet(chunks, output, progress, table)
        else:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                _write_text(fmt, chunks, handle, progress, table)
    except BaseException:
        output.unlink(missing_ok=True)
        raise


def _write_text(fmt: str, chunks, out: IO[str], progress, table: Table) -> None:
    (write_csv if fmt == "csv" else write_jsonl)(chunks, out, progress, table)


def dictionary_text() -> str:
    return markdown()


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise."""

    WIDTH = 30

    def __init__(self, total: int, stream: IO[str]):
        self.total, self.stream, self.done = total, stream, 0
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._shown = -1
        self._draw()

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def finish(self) -> None:
        self._draw(final=True)

    def _draw(self, final: bool = False) -> None:
        share = self.done / self.total if self.total else 1.0
        step = int(share * (100 if self.tty else 10))
        if step == self._shown and not final:
            return
        if final and not self.tty and step == self._shown:
            return
        self._shown = step
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        line = f"export [{bar}] {share:4.0%} {self.done:,}/{self.total:,} rows"
        end = "\n" if final or not self.tty else ""
        self.stream.write(("\r" if self.tty else "") + line + end)
        self.stream.flush()
