"""The export's data dictionary: every column, its type, meaning and the consent it needs, of
both tables an export can write: `records` (one row per feed item) and `choice_events` (what
the choice watchdog read of a platform's personalisation switch, and the reverts it found).

Bump SCHEMA_VERSION when a column is added, removed or changes meaning; every exported row
(and the Parquet file's metadata) carries it, so pooled exports can be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 5  # 2: format and relation; 3: pack; 4: the choice_events table;
#                    5: audit_condition


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # integer | number | string
    description: str
    consent: str | None = None  # the consented field this raw column needs, else always filled


COLUMNS: tuple[Column, ...] = (
    Column("schema_version", "integer", "Version of this export schema (see the data dictionary)."),
    Column("study_id", "string", "The study the participant consented to."),
    Column("consent_version", "string", "Version of the consent text the participant agreed to."),
    Column("participant", "string", "Random id of this install within the study (16 hex "
           "digits); not derived from anything about the person."),
    Column("record_id", "integer", "Number of the record on this install; with `participant` "
           "a unique key."),
    Column("time", "number", "When the feed response was seen, unix seconds (UTC)."),
    Column("response_id", "integer", "Number of the feed response on this install: items "
           "sharing it arrived together (the unit for cluster-robust statistics)."),
    Column("platform", "string", "Platform, e.g. bilibili, youtube, x, reddit."),
    Column("endpoint", "string", "The adapter's name for the API endpoint, e.g. web-home-recommend."),
    Column("surface", "string", "Where the feed is shown: home, search, related, …"),
    Column("position", "integer", "Position of the item in the response, from 0."),
    Column("kind", "string", "Kind of item: video, post, ad, …"),
    Column("format", "string", "What the item is, one word for every platform (docs/format.md): "
           "short_video, video, live, upcoming, image, text, article, audio, link, poll or "
           "unknown. Empty for records made before export schema 2."),
    Column("relation", "string", "How the item relates to another post: original, repost, reply, "
           "quote or unknown. Empty for records made before export schema 2."),
    Column("provenance", "string", "Why the item is in the feed: followed, personalized, "
           "popular, promoted, search, own or unknown."),
    Column("reason_category", "string", "Id of the adapter rule that decided the provenance, "
           "e.g. web-home-recommend#2."),
    Column("pack", "string", "The rule pack whose adapter read the item and decided its "
           "provenance, as name and version, e.g. \"feedlens-core 2026.12.06\" (docs/adapters.md). "
           "Empty for records made before export schema 3."),
    Column("decision", "string", "What the participant's own profile did: keep, label, blur, hide, …"),
    Column("item_pid", "string", "Pseudonym of the platform's item id: HMAC-SHA256 with the "
           "study key, 16 hex digits. Equal within a study key, different across studies."),
    Column("author_pid", "string", "Pseudonym of the author's account id (same scheme as item_pid)."),
    Column("title", "string", "The item's title.", consent="title"),
    Column("text", "string", "The item's text (description, post body).", consent="text"),
    Column("author_name", "string", "The author's display name.", consent="author_name"),
    Column("url", "string", "The item's link.", consent="url"),
    Column("reason_text", "string", "The platform's own words for why it shows the item "
           "(e.g. \"because you watched …\").", consent="reason_text"),
    Column("audit_condition", "string", "The switch audit's condition when the item was logged: "
           "on (the platform's personalisation on) or off, from the participant's audit sessions "
           "of that platform (marked by hand or following the observed switch); empty outside "
           "every session. Empty for records made before export schema 5.",
           consent="audit_condition"),
)
NAMES = tuple(column.name for column in COLUMNS)

CHOICE_EVENT_COLUMNS: tuple[Column, ...] = (
    *COLUMNS[:4],
    Column("event_id", "integer", "Number of the event on this install; with `participant` a "
           "unique key."),
    Column("time", "number", "When the switch was read (or the revert found), unix seconds (UTC)."),
    Column("platform", "string", "Platform, e.g. bilibili, youtube, x, reddit."),
    Column("choice", "string", "The switch read, e.g. personalised_recommendation."),
    Column("event", "string", "observation: one reading of the switch; revert: the platform "
           "turned it back on behind the participant's back (docs/choice-watchdog.md)."),
    Column("kind", "string", "How the switch was read: flag (in a request), readback (the "
           "settings the platform sent), setting_write (the participant changed it), marker "
           "(a hint in a feed response, only ever suspected)."),
    Column("sure", "string", "confirmed or suspected."),
    Column("state", "string", "not_personalised or personalised; empty when a settings write "
           "did not say which."),
    Column("reason", "string", "Of a revert: two_in_a_row, after_restart, marker or "
           "counterfactual. Empty for observations."),
    Column("rule", "string", "The adapter's rule that read the switch."),
    Column("epoch", "integer", "Counts the participant's own changes of the switch seen on this "
           "device: a revert is always within one epoch."),
    Column("device_pid", "string", "Pseudonym of the device (its address on the local network), "
           "same scheme as item_pid; the address itself is never recorded."),
    Column("evidence", "string", "JSON: the field read and its value (cut short), the rule, the "
           "request's method, host and path; a list of those for a revert. Never a query "
           "string, cookie or token."),
)
CHOICE_EVENT_NAMES = tuple(column.name for column in CHOICE_EVENT_COLUMNS)


def markdown() -> str:
    """The dictionary as Markdown tables (printed by `feedlens export --dictionary`)."""
    lines = [f"Export schema version {SCHEMA_VERSION}. Raw columns are empty unless the "
             "participant consented to that field; unconsented fields are never recorded.", "",
             "Table `records` (`feedlens export`), one row per feed item:", ""]
    lines += _table(COLUMNS)
    lines += ["", "Table `choice_events` (`feedlens export --table choice_events`), one row per "
              "reading of a personalisation switch and per revert:", ""]
    lines += _table(CHOICE_EVENT_COLUMNS)
    return "\n".join(lines)


def _table(columns) -> list[str]:
    lines = ["| column | type | consent needed | meaning |", "|---|---|---|---|"]
    for column in columns:
        needed = f"`{column.consent}`" if column.consent else ""
        lines.append(f"| `{column.name}` | {column.type} | {needed} | {column.description} |")
    return lines
