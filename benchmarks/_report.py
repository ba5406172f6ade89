"""Write a benchmark's table into docs/benchmarks.md between its own markers."""

from __future__ import annotations

import platform
import re
from datetime import datetime, timezone
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = "# Benchmarks\n\nMeasured side by side in one run on a shared, noisy 2-core machine: read the ratios.\n"


def machine() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, " \
           f"{datetime.now(timezone.utc):%Y-%m-%d}"


def write_section(name: str, markdown: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"\nwrote the {name} section of {DOC}")
