from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from proxy import paths
from proxy.adapters import load_adapters

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def shipped_adapters():
    return load_adapters([paths.platforms_dir()])


@pytest.fixture
def noon():
    return lambda: datetime(2026, 11, 22, 12, 0)
