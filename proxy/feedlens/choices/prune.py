"""The watchdog's share of the item log's retention: choice_observations grows with every feed
request, so observations older than the store's cutoff (retention_days, the items' own) go.
Kept whatever their age: the newest KEEP_PER_TRACK of each track (the page's and a complaint's
recent history) and the newest of each rule of a track (the counterfactual check's baseline
lives in its latest observation, counterfactual.stored_baseline). Reverts keep their own
evidence, so none of them needs an observation kept."""

from __future__ import annotations

import sqlite3

KEEP_PER_TRACK = 50


def prune(db: sqlite3.Connection, cutoff: float, keep: int = KEEP_PER_TRACK) -> int:
    """Delete old observations (on the store's writer, in its transaction); how many went."""
    return db.execute(
        """DELETE FROM choice_observations WHERE time < ?
           AND id NOT IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (
                   PARTITION BY platform, choice, device ORDER BY time DESC, id DESC) AS n
               FROM choice_observations) WHERE n <= ?)
           AND id NOT IN (SELECT MAX(id) FROM choice_observations GROUP BY platform, choice, device, rule)""",
        (cutoff, keep)).rowcount
