"""The researcher's view of a study: participation (active, paused, withdrawn, last upload),
composition by day, platform and provenance across participants, and data quality (the rule
packs that read the items, the share of unknown provenance)."""

from __future__ import annotations

from .studies import describe


async def participation(conn, study_id: str) -> dict:
    """Participants by state, and each one's enrolment, last upload, uploads and records."""
    people = await conn.fetch(
        "SELECT p.id, p.state, p.enrolled, p.last_upload, p.uploads, p.consent_version,"
        " (SELECT count(*) FROM records r WHERE r.study_id = p.study_id AND r.participant = p.id)"
        " AS records FROM participants p WHERE p.study_id = $1 ORDER BY p.enrolled", study_id)
    states = {"active": 0, "paused": 0, "withdrawn": 0}
    for row in people:
        states[row["state"]] += 1
    return {**states, "participants": [
        {"id": r["id"], "state": r["state"], "enrolled": r["enrolled"].isoformat(),
         "last_upload": r["last_upload"].isoformat() if r["last_upload"] else None,
         "uploads": r["uploads"], "records": r["records"],
         "consent_version": r["consent_version"]} for r in people]}


async def summary(conn, study_id: str) -> dict:
    study = await describe(conn, study_id)  # 404 for an unknown study
    people = await participation(conn, study_id)
    composition = await conn.fetch(
        "SELECT day, platform, provenance, count(*) AS items, count(DISTINCT participant) AS people"
        " FROM records WHERE study_id = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", study_id)
    packs = await conn.fetch("SELECT pack, count(*) AS items FROM records WHERE study_id = $1"
                             " GROUP BY 1 ORDER BY 2 DESC", study_id)
    total = sum(row["items"] for row in composition)
    unknown = sum(row["items"] for row in composition if row["provenance"] == "unknown")
    return {
        "study": study,
        "participation": people,
        "composition": [{"day": r["day"].isoformat(), "platform": r["platform"],
                         "provenance": r["provenance"], "items": r["items"], "people": r["people"]}
                        for r in composition],
        "quality": {"records": total, "unknown_provenance_share": unknown / total if total else None,
                    "packs": [{"pack": r["pack"], "items": r["items"]} for r in packs]},
    }
