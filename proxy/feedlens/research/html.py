"""HTML of the research pages: /research (charts, research mode, audit, monthly report) and the
one-page audit report. Pure functions of the data the views collect; no script anywhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from ..service.dashboard_text import TEXT as DASHBOARD_TEXT
from . import charts
from .participant_text import TEXT as PARTICIPANT_TEXT
from .views_text import TEXT, caveat_text

Csrf = Callable[[str], str]  # action path -> hidden csrf input
DAY_CHOICES = (7, 30, 90)


def _when(ts: float | None) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _p_value(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def names(lang: str) -> dict[str, str]:
    return DASHBOARD_TEXT[lang]["provenance"]


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{content}</section>'


def _rows(rows: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)


# ---- /research -----------------------------------------------------------------------------

def research_page(data: dict, lang: str, csrf: Csrf) -> tuple[str, str]:
    t = TEXT[lang]
    body = "".join([
        f"<h1>{escape(t['title'])}</h1>",
        f"<p>{escape(t['intro'].format(retention=data['retention_days']))}</p>",
        mode_section(data["mode"], t, lang),
        composition_section(data["composition"], data["days"], lang),
        shares_section(data["shares"], data["days"], lang),
        sources_section(data["sources"], data["days"], lang),
        audit_section(data["sessions"], data["platforms"], lang, csrf),
        monthly_section(data["monthly"], lang),
    ])
    return body, charts.CSS


def participant_link(lang: str) -> str:
    """To the participant's own controls: consent, preview, pause, deletion."""
    return (f'<p><a href="/research/participant?lang={lang}">'
            f'{escape(PARTICIPANT_TEXT[lang]["link"])}</a></p>')


def mode_section(mode: dict | None, t: dict, lang: str = "en") -> str:
    if mode is None:
        return _section("mode", t["mode"], f"<p>{escape(t['mode_missing'])}</p>")
    if not mode["enabled"]:
        return _section("mode", t["mode"], f"<p>{escape(t['mode_off'])}</p>" + participant_link(lang))
    state = t["mode_paused"] if mode["paused"] else t["mode_on"]
    consent = mode.get("consent") or {}
    rows = [(t["mode"], state)]
    if consent:
        fields = ", ".join(consent.get("fields") or []) or t["no_fields"]
        rows += [(t["study"], str(consent.get("study_id", "—"))),
                 (t["consent_version"], str(consent.get("consent_version", "—"))),
                 (t["fields"], fields),
                 (t["retention"], f"{consent.get('retention_days', '—')} {t['days_unit']}")]
        if isinstance(consent.get("created"), (int, float)):
            rows.append((t["consented"], _when(consent["created"])))
    return _section("mode", t["mode"], f"<table>{_rows(rows)}</table>" + participant_link(lang))


def _period_links(days: int, lang: str, t: dict) -> str:
    links = []
    for choice in DAY_CHOICES:
        label = escape(t["last_days"].format(choice))
        links.append(f"<b>{label}</b>" if choice == days else
                     f'<a href="/research?days={choice}&amp;lang={lang}">{label}</a>')
    return f"<p>{escape(t['period'])} {' · '.join(links)}</p>"


def _json_link(path: str, t: dict) -> str:
    return f'<p><a href="{escape(path)}">{escape(t["json"])}</a> <code>{escape(path)}</code></p>'


def composition_section(data: dict, days: int, lang: str) -> str:
    t, provenance_names = TEXT[lang], names(lang)
    content = [_period_links(days, lang, t)]
    if not data["rows"]:
        content.append(f"<p>{escape(t['no_items'])}</p>")
        return _section("composition", t["composition"], "".join(content))
    per_platform: dict[str, dict[str, dict[str, int]]] = {}
    for row in data["rows"]:
        day = per_platform.setdefault(row["platform"], {}).setdefault(row["day"], {})
        day[row["provenance"]] = day.get(row["provenance"], 0) + row["n"]
    groups = list(sorted(per_platform.items()))
    if len(groups) > 1:
        groups.insert(0, (t["composition_all"], _merge(per_platform.values())))
    present = sorted({r["provenance"] for r in data["rows"]}, key=charts.provenance_rank)
    content.append(charts.legend(present, provenance_names))
    days_list = data["days"]
    desc = t["composition_desc"].format(first=days_list[0], last=days_list[-1])
    for index, (label, counts) in enumerate(groups):
        content.append(f"<h3>{escape(label)}</h3><div class=chart>"
                       + charts.stacked_days(f"comp{index}", days_list, counts, provenance_names,
                                             f"{t['composition']} — {label}", desc) + "</div>")
    header = [t["day"], t["platform"], t["provenance_h"], t["count"]]
    rows = [[r["day"], r["platform"], provenance_names.get(r["provenance"], r["provenance"]), r["n"]]
            for r in data["rows"]]
    content.append(charts.table(t["data_table"], header, rows))
    content.append(_json_link(f"/api/research/charts/composition?days={days}", t))
    return _section("composition", t["composition"], "".join(content))


def _merge(per_platform) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for days in per_platform:
        for day, counts in days.items():
            into = out.setdefault(day, {})
            for provenance, n in counts.items():
                into[provenance] = into.get(provenance, 0) + n
    return out


def shares_section(data: dict, days: int, lang: str) -> str:
    t, provenance_names = TEXT[lang], names(lang)
    if not data["all"]["items"]:
        return _section("shares", t["shares"], f"<p>{escape(t['no_items'])}</p>")
    groups = list(data["platforms"].items())
    if len(groups) > 1:
        groups.insert(0, (t["composition_all"], data["all"]))
    chart = charts.share_bars("shares", groups, provenance_names, t["shares"],
                              t["shares_desc"].format(days=days))
    rows = [[label, provenance_names.get(p, p), summary["counts"][p], _pct(share)]
            for label, summary in groups for p, share in summary["shares"].items()]
    content = (charts.legend(list(data["all"]["counts"]), provenance_names)
               + f"<div class=chart>{chart}</div>"
               + charts.table(t["data_table"],
                              [t["platform"], t["provenance_h"], t["count"], t["share"]], rows)
               + _json_link(f"/api/research/charts/shares?days={days}", t))
    return _section("shares", t["shares"], content)


def sources_section(data: dict, days: int, lang: str) -> str:
    t = TEXT[lang]
    rows = data["sources"]
    if not rows:
        return _section("sources", t["sources"], f"<p>{escape(t['no_items'])}</p>")
    chart = charts.source_bars("sources", rows, t["sources"], t["sources_desc"].format(days=days))
    content = (f"<div class=chart>{chart}</div>"
               + charts.table(t["data_table"], [t["source"], t["platform"], t["count"]],
                              [[r["author"] or r["author_id"], r["platform"], r["n"]] for r in rows])
               + _json_link(f"/api/research/charts/sources?days={days}", t))
    return _section("sources", t["sources"], content)


# ---- the audit on /research ----------------------------------------------------------------

def audit_section(sessions: list[dict], platforms: list[str], lang: str, csrf: Csrf) -> str:
    t = TEXT[lang]
    steps = "".join(f"<li>{escape(s)}</li>" for s in t["audit_steps"])
    options = "".join(f'<option value="{escape(p)}">{escape(p)}</option>' for p in platforms)
    start = (f'<form method=post action="/research/audit?lang={lang}">{csrf("/research/audit")}'
             f'<label>{escape(t["audit_platform"])} <select name=platform>{options}</select></label> '
             f'<label>{escape(t["audit_note"])} <input name=note maxlength=500></label> '
             f'<button>{escape(t["audit_start"])}</button></form>')
    content = [f"<p>{escape(t['audit_intro'])}</p><ol>{steps}</ol>", start,
               f"<h3>{escape(t['audit_sessions'])}</h3>"]
    if not sessions:
        content.append(f"<p>{escape(t['no_sessions'])}</p>")
    else:
        content.append("<table><thead><tr>" + "".join(
            f"<th>{escape(h)}</th>" for h in ("#", t["audit_platform"], t["started"], t["note"],
                                              t["audit_state"], "")) + "</tr></thead><tbody>"
                       + "".join(_session_row(s, lang, csrf) for s in sessions) + "</tbody></table>")
    content.append(_json_link("/api/research/audit", t))
    return _section("audit", t["audit"], "".join(content))


def _state(session: dict, t: dict) -> str:
    if session["finished"] is not None:
        return t["state_finished"]
    if session["condition"] is None:
        return t["state_setup"]
    return t["state_in"].format(t["cond_" + session["condition"]])


def _session_row(session: dict, lang: str, csrf: Csrf) -> str:
    t = TEXT[lang]
    sid = session["id"]
    actions = [f'<a href="/research/audit/{sid}?lang={lang}">{escape(t["report"])}</a>']
    if session["finished"] is None:
        base = f"/research/audit/{sid}"
        for condition in ("on", "off"):
            if session["condition"] != condition:
                actions.append(f'<form method=post action="{base}/condition?lang={lang}">'
                               f'{csrf(base + "/condition")}<input type=hidden name=condition '
                               f'value={condition}><button>{escape(t["mark_" + condition])}</button></form>')
        actions.append(f'<form method=post action="{base}/finish?lang={lang}">{csrf(base + "/finish")}'
                       f'<button>{escape(t["finish"])}</button></form>')
    cells = [str(sid), session["platform"], _when(session["started"]), session["note"] or "",
             _state(session, t)]
    return ("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + f"<td>{' '.join(actions)}</td></tr>")


# ---- monthly -------------------------------------------------------------------------------

def monthly_section(report: dict, lang: str) -> str:
    t, provenance_names = TEXT[lang], names(lang)
    month = report["month"]
    nav = (f'<p>{escape(t["monthly_month"])}: <b>{month}</b> · '
           f'<a href="/research?month={report["previous"]["month"]}&amp;lang={lang}#monthly">'
           f'{escape(t["previous_month"])}</a> · '
           f'<a href="/research?month={report["next_month"]}&amp;lang={lang}#monthly">'
           f'{escape(t["next_month"])}</a></p>')
    content = [nav]
    if not report["items"]:
        content.append(f"<p>{escape(t['no_items'])}</p>")
    else:
        content.append(f"<h3>{escape(t['by_platform'])}</h3>" + _platform_table(report, t, provenance_names))
        content.append(_changes_table(report, t, provenance_names))
        if report["top_sources"]:
            content.append(f"<h3>{escape(t['sources'])}</h3><table>" + "".join(
                f"<tr><td>{escape(charts.source_label(r))}</td><td>{r['n']}</td></tr>"
                for r in report["top_sources"]) + "</table>")
    content.append(_json_link(f"/api/research/monthly?month={month}", t))
    return _section("monthly", f"{t['monthly']} {month}", "".join(content))


def _platform_table(report: dict, t: dict, provenance_names: dict) -> str:
    provenances = list(report["all"]["counts"])
    head = "".join(f"<th>{escape(provenance_names.get(p, p))}</th>" for p in provenances)
    rows = []
    for label, summary in [*report["platforms"].items(), (t["total"], report["all"])]:
        cells = "".join(f"<td>{summary['counts'].get(p, 0)} ({_pct(summary['shares'].get(p, 0.0))})</td>"
                        for p in provenances)
        rows.append(f"<tr><th>{escape(label)}</th>{cells}<td>{summary['items']}</td></tr>")
    return (f"<table><thead><tr><th>{escape(t['platform'])}</th>{head}<th>{escape(t['total'])}</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _changes_table(report: dict, t: dict, provenance_names: dict) -> str:
    previous = report["previous"]["month"]
    rows = []
    for change in report["changes"]:
        delta = change["change_pp"]
        shown = "—" if delta is None else f"{delta:+.1f} {t['pp']}"
        rows.append(f"<tr><th>{escape(provenance_names.get(change['provenance'], change['provenance']))}"
                    f"</th><td>{_pct(change['share'])}</td><td>{_pct(change['previous'])}</td>"
                    f"<td>{escape(shown)}</td></tr>")
    return (f"<h3>{escape(t['change'].format(previous))}</h3><table><thead><tr>"
            f"<th>{escape(t['provenance_h'])}</th><th>{report['month']}</th><th>{previous}</th>"
            f"<th>{escape(t['change'].format(previous))}</th></tr></thead><tbody>{''.join(rows)}"
            "</tbody></table>")


# ---- the audit report ----------------------------------------------------------------------

def audit_report_page(report: dict, lang: str) -> tuple[str, str]:
    t, provenance_names = TEXT[lang], names(lang)
    session = report["session"]
    conditions = report["conditions"]
    body = [f"<h1>{escape(t['audit_title'].format(id=session['id'], platform=session['platform']))}</h1>",
            f"<p>{escape(t['audit_built'].format(platform=session['platform']))}"
            + (f" {escape(t['audit_open'])}" if session["finished"] is None else "") + "</p>",
            "<table>" + _rows([(t["started"], _when(session["started"])),
                               (t["note"], session["note"] or "—")]) + "</table>",
            _share_chart(conditions, t), _conditions_table(conditions, t), _result_table(report, t),
            _provenance_table(conditions, t, provenance_names),
            f"<h2>{escape(t['caveats'])}</h2><ul>"
            + "".join(f"<li>{escape(caveat_text(c, lang))}</li>" for c in report["caveats"]) + "</ul>",
            f'<p><a href="/research?lang={lang}#audit">{escape(t["back"])}</a> · '
            f'<a href="/api/research/audit/{session["id"]}/report">{escape(t["json"])}</a></p>']
    return "".join(body), charts.CSS


def _share_chart(conditions: dict, t: dict) -> str:
    rows = [(t["cond_" + c], d["share"], d["ci95"]) for c, d in conditions.items()]
    desc = t["chart_desc"].format(on=_pct(conditions["on"]["share"]),
                                  off=_pct(conditions["off"]["share"]))
    return f"<div class=chart>{charts.interval_bars('audit', rows, t['chart_title'], desc)}</div>"


def _windows(windows: list[list[float]]) -> str:
    def end(a: float, b: float) -> str:
        same_day = datetime.fromtimestamp(a).date() == datetime.fromtimestamp(b).date()
        return f"{datetime.fromtimestamp(b):%H:%M}" if same_day else _when(b)
    return "; ".join(f"{_when(a)} – {end(a, b)}" for a, b in windows) or "—"


def _conditions_table(conditions: dict, t: dict) -> str:
    def ci(c: dict) -> str:
        return "—" if c["ci95"] is None else f"{_pct(c['ci95'][0])} – {_pct(c['ci95'][1])}"

    def response_mean(c: dict) -> str:
        if c["response_mean_share"] is None:
            return "—"
        se = c["response_mean_se"]
        return _pct(c["response_mean_share"]) + ("" if se is None else f" ± {_pct(se)}")
    lines = [(t["windows"], lambda c: _windows(c["windows"])), (t["items"], lambda c: str(c["items"])),
             (t["responses"], lambda c: str(c["responses"])),
             (t["personalized"], lambda c: f"{c['personalized']} ({_pct(c['share'])})"),
             (t["ci"], ci), (t["response_mean"], response_mean),
             (t["confidence"], lambda c: _num(c["mean_confidence"], 2))]
    head = "".join(f"<th>{escape(t['cond_' + k])}</th>" for k in conditions)
    rows = "".join(f"<tr><th>{escape(label)}</th>"
                   + "".join(f"<td>{escape(fn(c))}</td>" for c in conditions.values()) + "</tr>"
                   for label, fn in lines)
    return (f"<h2>{escape(t['condition'])}</h2><table><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _result_table(report: dict, t: dict) -> str:
    test, cluster = report["test"], report["cluster_test"]
    interval = test["difference_ci95"]
    diff = "—" if test["difference"] is None else f"{100 * test['difference']:+.1f} {t['pp']}"
    rows = [(t["difference"], diff),
            (t["diff_ci"], "—" if interval is None else
             f"{100 * interval[0]:+.1f} … {100 * interval[1]:+.1f} {t['pp']}"),
            (t["test_used"], t["z_test"]), (t["z"], _num(test["z"])), (t["p"], _p_value(test["p_value"]))]
    if cluster["z"] is None:
        rows.append((t["cluster"], t["not_computed"][cluster["not_computed"] or "too_few_responses"]))
    else:
        rows += [(t["cluster"] + " — " + t["cluster_se"], _pct(cluster["se"])),
                 (t["cluster"] + " — " + t["z"], _num(cluster["z"])),
                 (t["cluster"] + " — " + t["p"], _p_value(cluster["p_value"]))]
    return f"<h2>{escape(t['result'])}</h2><table>{_rows(rows)}</table>"


def _provenance_table(conditions: dict, t: dict, provenance_names: dict) -> str:
    provenances = sorted({p for c in conditions.values() for p in c["by_provenance"]},
                         key=charts.provenance_rank)
    head = "".join(f"<th>{escape(t['cond_' + k])}</th>" for k in conditions)
    rows = "".join(f"<tr><th>{escape(provenance_names.get(p, p))}</th>" + "".join(
        f"<td>{c['by_provenance'].get(p, 0)}</td>" for c in conditions.values()) + "</tr>"
        for p in provenances)
    return (f"<h2>{escape(t['composition_by_condition'])}</h2><table><thead><tr><th>"
            f"{escape(t['provenance_h'])}</th>{head}</tr></thead><tbody>{rows}</tbody></table>")
