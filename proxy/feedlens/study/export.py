"""A study's pooled records as Parquet, one file per day in Hive-style directories
(`day=2026-12-06/records.parquet`), read by DuckDB (`read_parquet('DIR/*/*.parquet',
hive_partitioning = true)`) or any Arrow tool. Columns and metadata are those of the
participant's own export (feedlens.research.dictionary), so pooled and local files agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..research.dictionary import COLUMNS, NAMES, SCHEMA_VERSION
from ..research.export import ExportError, _pyarrow

CHUNK = 50_000


def _schema(pa):
    types = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string()}
    metadata = {"feedlens.schema_version": str(SCHEMA_VERSION), "feedlens.table": "records",
                "feedlens.dictionary": json.dumps([c.__dict__ for c in COLUMNS])}
    return pa.schema([pa.field(c.name, types[c.type], metadata={"description": c.description})
                      for c in COLUMNS], metadata=metadata)


async def export(conn, study_id: str, output: Path) -> tuple[int, int]:
    """Write the study's records; returns (day files, rows). Day directories already in
    `output` are replaced, so a second export of the same study refreshes the first."""
    try:
        pa, pq = _pyarrow()
    except ExportError as exc:
        from .studies import StudyError
        raise StudyError(str(exc)) from None
    schema = _schema(pa)
    select = ", ".join(f"{name}::bigint" if name in ("schema_version", "position") else name
                       for name in NAMES)
    days = [row[0] for row in await conn.fetch(
        "SELECT DISTINCT day FROM records WHERE study_id = $1 ORDER BY 1", study_id)]
    output.mkdir(parents=True, exist_ok=True)
    total = 0
    for day in days:
        directory = output / f"day={day.isoformat()}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir()
        with pq.ParquetWriter(directory / "records.parquet", schema, compression="zstd") as writer:
            async with conn.transaction():  # a cursor needs one
                cursor = conn.cursor(f"SELECT {select} FROM records WHERE study_id = $1 AND day = $2"
                                     " ORDER BY participant, record_id", study_id, day)
                batch = []
                async for row in cursor:
                    batch.append(tuple(row))
                    if len(batch) >= CHUNK:
                        total += _write(pa, writer, schema, batch)
                        batch = []
                total += _write(pa, writer, schema, batch)
    return len(days), total


def _write(pa, writer, schema, rows: list[tuple]) -> int:
    if not rows:
        return 0
    arrays = [pa.array(values, type=field.type) for values, field in zip(zip(*rows), schema)]
    writer.write_batch(pa.record_batch(arrays, schema=schema))
    return len(rows)
