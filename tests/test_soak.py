"""The soak script (benchmarks/soak.py, issue 15 item 8) on a small count: its own oracle holds
on today's code (nothing escapes the add-ons, nothing that had to pass was changed, every
changed body is still valid), and its mutations are reproducible from the seed."""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
try:
    from benchmarks import soak
    from benchmarks.soak_mutations import mutate
finally:
    sys.path.remove(str(ROOT))


async def test_soak_on_200_bodies_finds_nothing_escaping_or_wrongly_changed():
    result = await soak.soak(200, seed=15)
    assert result["bodies"] == 200 and result["seeds"] > 100
    assert result["escaping"] == 0, result["samples"]
    assert result["wrongly_changed"] == 0, result["samples"]
    assert result["broken_rewrites"] == 0, result["samples"]
    assert result["must_pass"] > 0 and result["changed"] > 0  # both sides of the oracle ran
    assert result["health"]["responses_seen"] == 200


def test_a_mutation_is_the_same_for_the_same_seed_and_index():
    seeds = soak.load_seeds(ROOT / "rules", None)
    first, again = (mutate(seeds[7], random.Random("15:42")) for _ in range(2))
    assert (first.kind, first.raw, first.content_type, first.content_encoding) == \
        (again.kind, again.raw, again.content_type, again.content_encoding)
