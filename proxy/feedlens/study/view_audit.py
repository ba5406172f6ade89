"""The switch audit, pooled across participants (the researcher's view): per platform, the
items each condition ("on": the platform's personalisation on, "off") holds and their
personalised share with its Wilson interval, the pooled two-proportion z-test with Newcombe's
interval for the difference, and the cluster-robust check — the same statistics as the
participant's own audit, from feedlens.research.audit's functions, not a copy of them.

A record's condition is its `audit_condition` (a consented field, derived on the participant's
side from their audit sessions); records without one are outside every audit and not counted.
Items of one feed response are not independent, so each (participant, response) is one cluster,
as each response is one in the local audit (records without a response id form one cluster per
participant)."""

from __future__ import annotations

from ..research import audit

UNIT = "one cluster per (participant, response)"


async def pooled(conn, study_id: str) -> dict:
    rows = await conn.fetch(
        "SELECT platform, audit_condition, participant, response_id,"
        " count(*) FILTER (WHERE provenance = $2) AS k, count(*) AS n"
        " FROM records WHERE study_id = $1 AND audit_condition IS NOT NULL"
        " GROUP BY 1, 2, 3, 4", study_id, audit.PERSONALIZED)
    data: dict[str, dict[str, audit.ConditionData]] = {}
    people: dict[str, dict[str, set]] = {}
    for row in rows:
        platform, condition = row["platform"] or "unknown", row["audit_condition"]
        into = data.setdefault(platform, {c: audit.ConditionData([], [], {}) for c in audit.CONDITIONS})
        into[condition].clusters.append((row["k"], row["n"]))
        people.setdefault(platform, {c: set() for c in audit.CONDITIONS})[condition].add(
            row["participant"])
    return {"personalized": audit.PERSONALIZED, "cluster_unit": UNIT,
            "platforms": [platform_audit(p, data[p], people[p]) for p in sorted(data)]}


def platform_audit(platform: str, data: dict, people: dict) -> dict:
    on, off = data["on"], data["off"]
    conditions = {c: summary(data[c], len(people[c])) for c in audit.CONDITIONS}
    return {"platform": platform, "conditions": conditions,
            "test": audit.difference_test(on, off), "cluster_test": audit.cluster_test(on, off),
            # the participant's report warns of the same (research.caveat.* messages)
            "caveats": [{"code": "clustering"}, *audit.sample_caveats(conditions)]}


def summary(d: audit.ConditionData, participants: int) -> dict:
    n, k = d.items, d.personalized
    interval = audit.wilson(k, n)
    mean = audit.response_mean(d.clusters)
    return {"participants": participants, "items": n, "responses": len(d.clusters),
            "personalized": k, "share": k / n if n else None,
            "ci95": list(interval) if interval else None,
            "response_mean_share": mean[0] if mean else None,
            "cluster_se": audit.cluster_se(d.clusters)}
