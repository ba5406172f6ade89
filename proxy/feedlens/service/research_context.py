"""What the research pages show (templates/research/page.html and audit.html), from the data
research_views collects: rows and numbers in the order the tables list them, and the charts
as SVG strings drawn by research.charts with titles in the page's language.
"""

from __future__ import annotations

from datetime import datetime

from .. import i18n
from ..item_format import FORMATS
from ..model import PROVENANCE_ORDER, provenance_rank
from ..research import charts, format_charts
from .render import minute_time, pct

DAY_CHOICES = (7, 30, 90)


def provenance_names(t: i18n.Translator) -> dict[str, str]:
    return {p: t(f"common.provenance.{p}") for p in PROVENANCE_ORDER}


def format_names(t: i18n.Translator) -> dict[str, str]:
    return {f: t(f"common.format.{f}") for f in FORMATS}


def format_chart(matrix: dict, t: i18n.Translator, names: dict, chart_id: str, title: str,
                 desc: str) -> dict:
    """Provenance × format as an SVG and its numbers (research.format_charts)."""
    if not any(n for counts in matrix.values() for n in counts.values()):
        return {"rows": []}
    formats = format_names(t)
    return {"present": format_charts.provenances_of(matrix),
            "svg": format_charts.format_matrix(chart_id, matrix, names, formats, title, desc),
            "rows": format_charts.table_rows(matrix, names, formats)}


def caveat_text(caveat: dict, lang: str) -> str:
    """A caveat of the audit report (a code and its values) in words."""
    params = {k: v for k, v in caveat.items() if k != "code"}
    return i18n.t(lang, f"research.caveat.{caveat['code']}", **params)


# ---- /research -----------------------------------------------------------------------------

def research_context(data: dict, lang: str) -> dict:
    t = i18n.translator(lang)
    names = provenance_names(t)
    days = data["days"]
    return {**data, "day_choices": DAY_CHOICES,
            "composition": composition(data["composition"], days, t, names),
            "shares": shares(data["shares"], days, t, names),
            "sources": sources(data["sources"], days, t),
            "formats": format_chart(data["formats"]["matrix"], t, names, "formats",
                                    t("research.formats"), t("research.formats_desc", days=days)),
            "monthly": monthly(data["monthly"], t, names)}


def composition(data: dict, days: int, t: i18n.Translator, names: dict) -> dict:
    """Stacked bars per day: one chart per platform, and one of all when there are several."""
    if not data["rows"]:
        return {"rows": [], "days": days}
    per_platform: dict[str, dict[str, dict[str, int]]] = {}
    for row in data["rows"]:
        day = per_platform.setdefault(row["platform"], {}).setdefault(row["day"], {})
        day[row["provenance"]] = day.get(row["provenance"], 0) + row["n"]
    groups = list(sorted(per_platform.items()))
    if len(groups) > 1:
        groups.insert(0, (t("research.composition_all"), merge(per_platform.values())))
    day_list = data["days"]
    desc = t("research.composition_desc", first=day_list[0], last=day_list[-1])
    title = t("research.composition")
    return {
        "days": days,
        "present": sorted({r["provenance"] for r in data["rows"]}, key=provenance_rank),
        "charts": [(label, charts.stacked_days(f"comp{index}", day_list, counts, names,
                                               f"{title} — {label}", desc))
                   for index, (label, counts) in enumerate(groups)],
        "rows": [[r["day"], r["platform"], names.get(r["provenance"], r["provenance"]), r["n"]]
                 for r in data["rows"]]}


def merge(per_platform) -> dict[str, dict[str, int]]:
    """Day -> provenance -> count over all platforms."""
    out: dict[str, dict[str, int]] = {}
    for days in per_platform:
        for day, counts in days.items():
            into = out.setdefault(day, {})
            for provenance, n in counts.items():
                into[provenance] = into.get(provenance, 0) + n
    return out


def shares(data: dict, days: int, t: i18n.Translator, names: dict) -> dict:
    if not data["all"]["items"]:
        return {"rows": []}
    groups = list(data["platforms"].items())
    if len(groups) > 1:
        groups.insert(0, (t("research.composition_all"), data["all"]))
    return {"present": list(data["all"]["counts"]),
            "svg": charts.share_bars("shares", groups, names, t("research.shares"),
                                     t("research.shares_desc", days=days)),
            "rows": [[label, names.get(p, p), summary["counts"][p], pct(share)]
                     for label, summary in groups for p, share in summary["shares"].items()]}


def sources(data: dict, days: int, t: i18n.Translator) -> dict:
    rows = data["sources"]
    if not rows:
        return {"rows": []}
    return {"svg": charts.source_bars("sources", rows, t("research.sources"),
                                      t("research.sources_desc", days=days)),
            "rows": [[r["author"] or r["author_id"], r["platform"], r["n"]] for r in rows]}


def monthly(report: dict, t: i18n.Translator, names: dict) -> dict:
    """The monthly report with its platform table and its changes against the month before."""
    provenances = list(report["all"]["counts"])
    platforms = [(label, summary["items"],
                  [f"{summary['counts'].get(p, 0)} ({pct(summary['shares'].get(p, 0.0))})"
                   for p in provenances])
                 for label, summary in [*report["platforms"].items(),
                                        (t("research.total"), report["all"])]]
    changes = [(names.get(c["provenance"], c["provenance"]), pct(c["share"]), pct(c["previous"]),
                "—" if c["change_pp"] is None else f"{c['change_pp']:+.1f} {t('research.pp')}")
               for c in report["changes"]]
    return {**report, "provenances": [names.get(p, p) for p in provenances],
            "platform_rows": platforms, "change_rows": changes,
            "format_chart": format_chart(report["formats"], t, names, "month-formats",
                                         t("research.formats"),
                                         t("research.formats_month_desc", month=report["month"])),
            "top": [(charts.source_label(r), r["n"]) for r in report["top_sources"]]}


# ---- the audit report ----------------------------------------------------------------------

def audit_context(report: dict, lang: str) -> dict:
    t = i18n.translator(lang)
    conditions = report["conditions"]
    rows = [(t(f"research.cond.{c}"), d["share"], d["ci95"]) for c, d in conditions.items()]
    desc = t("research.chart_desc", on=pct(conditions["on"]["share"]),
             off=pct(conditions["off"]["share"]))
    provenances = sorted({p for c in conditions.values() for p in c["by_provenance"]},
                         key=provenance_rank)
    names = provenance_names(t)
    return {
        "session": report["session"], "conditions": list(conditions),
        "chart": charts.interval_bars("audit", rows, t("research.chart_title"), desc),
        "condition_rows": condition_rows(conditions, t),
        "result_rows": result_rows(report, t),
        "provenance_rows": [(names.get(p, p), [c["by_provenance"].get(p, 0)
                                               for c in conditions.values()])
                            for p in provenances],
        "caveats": [caveat_text(c, lang) for c in report["caveats"]]}


def windows(spans: list[list[float]]) -> str:
    def end(a: float, b: float) -> str:
        same_day = datetime.fromtimestamp(a).date() == datetime.fromtimestamp(b).date()
        return f"{datetime.fromtimestamp(b):%H:%M}" if same_day else minute_time(b)
    return "; ".join(f"{minute_time(a)} – {end(a, b)}" for a, b in spans) or "—"


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _p_value(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def condition_rows(conditions: dict, t: i18n.Translator) -> list[tuple[str, list[str]]]:
    """One row per measure, one cell per condition."""
    def ci(c: dict) -> str:
        return "—" if c["ci95"] is None else f"{pct(c['ci95'][0])} – {pct(c['ci95'][1])}"

    def response_mean(c: dict) -> str:
        if c["response_mean_share"] is None:
            return "—"
        se = c["response_mean_se"]
        return pct(c["response_mean_share"]) + ("" if se is None else f" ± {pct(se)}")
    lines = [("windows", lambda c: windows(c["windows"])), ("items", lambda c: str(c["items"])),
             ("responses", lambda c: str(c["responses"])),
             ("personalized", lambda c: f"{c['personalized']} ({pct(c['share'])})"),
             ("ci", ci), ("response_mean", response_mean),
             ("confidence", lambda c: _num(c["mean_confidence"], 2))]
    return [(t(f"research.{key}"), [cell(c) for c in conditions.values()]) for key, cell in lines]


def result_rows(report: dict, t: i18n.Translator) -> list[tuple[str, str]]:
    test, cluster = report["test"], report["cluster_test"]
    interval = test["difference_ci95"]
    pp = t("research.pp")
    diff = "—" if test["difference"] is None else f"{100 * test['difference']:+.1f} {pp}"
    rows = [(t("research.difference"), diff),
            (t("research.diff_ci"), "—" if interval is None else
             f"{100 * interval[0]:+.1f} … {100 * interval[1]:+.1f} {pp}"),
            (t("research.test_used"), t("research.z_test")), (t("research.z"), _num(test["z"])),
            (t("research.p"), _p_value(test["p_value"]))]
    name = t("research.cluster")
    if cluster["z"] is None:
        reason = cluster["not_computed"] or "too_few_responses"
        rows.append((name, t(f"research.not_computed.{reason}")))
    else:
        rows += [(f"{name} — {t('research.cluster_se')}", pct(cluster["se"])),
                 (f"{name} — {t('research.z')}", _num(cluster["z"])),
                 (f"{name} — {t('research.p')}", _p_value(cluster["p_value"]))]
    return rows
