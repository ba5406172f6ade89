"""`feedlens research status|consent|pause|resume|disable|preview|delete`, each run as a real
subprocess on a real data directory; feed items reach it through a real Store and Research,
as the proxy writes them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from tests.conftest import ROOT
from tests.research_support import Install, distinctive_item, response

HOUR = 3600.0


def research(data_dir: Path, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "feedlens.cli", "research", "--data-dir",
                           str(data_dir), *map(str, args)], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def export_jsonl(data_dir: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "feedlens.cli", "export", "--data-dir", str(data_dir),
                           "--format", "jsonl"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def status(data_dir: Path) -> dict:
    done = research(data_dir, "status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def preview(data_dir: Path, limit: int = 500) -> list[dict]:
    done = research(data_dir, "preview", "--limit", limit)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def feed(data_dir: Path, *batches: tuple[float, range]) -> None:
    """Items through a real Store with Research attached (the proxy's path), then close."""
    async def run():
        install = await Install(data_dir).start()
        try:
            await install.feed(*[response([distinctive_item(n) for n in numbers], at=at)
                                 for at, numbers in batches])
        finally:
            await install.close()
    asyncio.run(run())


def test_consent_feed_preview_and_delete(tmp_path):
    data_dir = tmp_path / "data"
    off = research(data_dir, "status")
    assert off.returncode == 0 and "research mode: off" in off.stdout

    given = research(data_dir, "consent", "--study", "feeds-2026", "--version", "1.2",
                     "--field", "title", "--field", "url", "--retention-days", "30")
    assert given.returncode == 0, given.stderr
    state = status(data_dir)
    assert state["recording"] is True
    assert (state["consent"]["study_id"], state["consent"]["consent_version"],
            state["consent"]["fields"], state["consent"]["retention_days"]) == (
        "feeds-2026", "1.2", ["title", "url"], 30)

    t = time.time()  # records hours ago: inside the 30-day retention
    feed(data_dir, (t - 5 * HOUR, range(0, 3)), (t - 3 * HOUR, range(3, 7)), (t - 60, range(7, 9)))
    rows = preview(data_dir)
    assert len(rows) == 9
    assert rows == list(reversed(export_jsonl(data_dir)))  # exactly the export's rows, newest first
    assert rows[0]["title"] == "TITLEMARK0008Q 标题" and rows[0]["url"] == "https://demo.test/URLMARK0008Q"
    assert rows[0]["text"] is None and rows[0]["author_name"] is None  # not consented
    assert [r["study_id"] for r in rows] == ["feeds-2026"] * 9
    assert len(preview(data_dir, 4)) == 4

    since, until = (t - 4 * HOUR), (t - 2 * HOUR)
    deleted = research(data_dir, "delete", "--since", since, "--until", until)
    assert deleted.returncode == 0 and "deleted 4 research records" in deleted.stdout
    assert sorted(r["position"] for r in preview(data_dir)) == [0, 1, 2, 7, 8]
    assert status(data_dir)["records"] == 5

    iso = research(data_dir, "delete", "--until",
                   datetime.fromtimestamp(t - 4 * HOUR).isoformat())
    assert iso.returncode == 0 and "deleted 3 research records" in iso.stdout
    everything = research(data_dir, "delete", "--all")
    assert everything.returncode == 0 and "deleted 2 research records" in everything.stdout
    assert preview(data_dir) == [] and status(data_dir)["records"] == 0


def test_pause_resume_and_disable(tmp_path):
    data_dir = tmp_path / "data"
    nothing = research(data_dir, "pause")
    assert nothing.returncode == 1 and "research mode is off" in nothing.stderr
    assert research(data_dir, "consent", "--study", "s", "--version", "1",
                    "--retention-days", "7").returncode == 0

    paused = research(data_dir, "pause")
    assert paused.returncode == 0 and "recording paused" in paused.stdout
    assert (status(data_dir)["paused"], status(data_dir)["recording"]) == (True, False)
    feed(data_dir, (time.time(), range(3)))
    assert preview(data_dir) == []  # nothing recorded while paused

    assert research(data_dir, "resume").returncode == 0
    assert status(data_dir)["recording"] is True
    feed(data_dir, (time.time(), range(2)))
    assert len(preview(data_dir)) == 2

    withdrawn = research(data_dir, "disable")
    assert withdrawn.returncode == 0 and "research mode off" in withdrawn.stdout
    state = status(data_dir)
    assert (state["enabled"], state["consent"], state["records"]) == (False, None, 2)
    feed(data_dir, (time.time(), range(4)))
    assert status(data_dir)["records"] == 2  # off: nothing more is recorded
    text = research(data_dir, "status")
    assert "research mode: off" in text.stdout and "records: 2" in text.stdout


def test_study_key_from_stdin_and_refusals(tmp_path):
    data_dir = tmp_path / "data"
    key = "0123456789abcdef" * 4
    given = research(data_dir, "consent", "--study", "shared", "--version", "1", "--retention-days",
                     "7", "--study-key-stdin", stdin=key + "\n")
    assert given.returncode == 0, given.stderr
    assert (data_dir / "research" / "shared.key").read_text().strip() == key
    assert key not in given.stdout + given.stderr

    bad_study = research(data_dir, "consent", "--study", "../x", "--version", "1",
                         "--retention-days", "7")
    bad_key = research(data_dir, "consent", "--study", "s2", "--version", "1",
                       "--retention-days", "7", "--study-key-stdin", stdin="xyz\n")
    bad_days = research(data_dir, "consent", "--study", "s2", "--version", "1",
                        "--retention-days", "0")
    assert [r.returncode for r in (bad_study, bad_key, bad_days)] == [2, 2, 2]
    assert "study_id" in bad_study.stderr and "hex digits" in bad_key.stderr
    assert "retention_days" in bad_days.stderr
    assert status(data_dir)["consent"]["study_id"] == "shared"  # unchanged by the refusals

    for args in ([], ["--all", "--since", "2026-01-01"], ["--since", "2026-02-01", "--until", "2026-01-01"]):
        refused = research(data_dir, "delete", *args)
        assert refused.returncode == 2, args
    assert research(data_dir, "preview", "--limit", "0").returncode == 2
