"""The admin page's study view: the study's definition, its consent texts, participation,
composition and data quality as charts (study.charts) with the same numbers as tables, and the
forms' values read into what studies.py takes."""

from __future__ import annotations

from ..i18n import translator
from ..model import provenance_rank
from ..research.charts import css_class
from ..research.consent import FIELDS
from . import charts, view, view_time
from .studies import StudyError, describe

LANG_TAGS = {"en": "en", "zh": "zh-CN"}  # the form's text fields -> consent text languages


# ---- forms ---------------------------------------------------------------------------------

def whole(value, name: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise StudyError(f"{name}: a whole number") from None


def _texts(form, prefix: str) -> dict[str, str]:
    return {tag: str(form.get(f"{prefix}_{short}", "")).strip()
            for short, tag in LANG_TAGS.items() if str(form.get(f"{prefix}_{short}", "")).strip()}


def spec_from_form(form) -> dict:
    """The create form as the definition `feedlens study create` reads from YAML."""
    return {"id": str(form.get("id", "")).strip(), "title": _texts(form, "title"),
            "consent": {"version": str(form.get("version", "")).strip(),
                        "text": _texts(form, "consent")},
            "fields": [f for f in form.getall("fields", []) if isinstance(f, str)],
            "retention_days": whole(form.get("retention_days", ""), "retention_days"),
            "upload_interval": whole(form.get("upload_interval", "3600"), "upload_interval"),
            "start": str(form.get("start", "")).strip(), "end": str(form.get("end", "")).strip()}


def consent_from_form(form) -> tuple[str, dict[str, str]]:
    return str(form.get("version", "")).strip(), _texts(form, "consent")


# ---- the view ------------------------------------------------------------------------------

def _table(rows: list[dict], facet_names: dict) -> list[list]:
    return [[r["day"], facet_names.get(r["value"], r["value"]), r["n"]] for r in rows]


def composition_charts(data: dict, t) -> list[dict]:
    """One chart per facet: provenance with the dashboard's colours, platform and surface with
    the categorical ones; each with its legend and its numbers."""
    days = data["days"]
    out = []
    for facet in ("provenance", "platform", "surface"):
        rows = data["composition"][facet]
        if not rows:
            continue
        title = t(f"study.view.by_{facet}")
        desc = t("study.view.composition_desc", facet=title)
        if facet == "provenance":
            names = {r["value"]: t.get(f"common.provenance.{r['value']}", r["value"]) for r in rows}
            counts: dict[str, dict[str, int]] = {}
            for r in rows:
                counts.setdefault(r["day"], {})[r["value"]] = r["n"]
            svg = charts.stacked_days(f"by-{facet}", days, counts, names, title, desc)
            present = sorted({r["value"] for r in rows}, key=provenance_rank)
            legend = [{"class": css_class(p), "name": names[p]} for p in present]
        else:
            names = {charts.OTHER: t("study.view.other")}
            counts, order, classes = charts.categorical(rows)
            svg = charts.stacked(f"by-{facet}", days, counts, order, classes, names, title, desc)
            legend = [{"class": classes[v], "name": names.get(v, v)} for v in order]
        out.append({"facet": facet, "title": title, "svg": svg, "legend": legend,
                    "rows": _table(rows, names)})
    return out


async def context(conn, study_id: str, lang: str, notice: str | None) -> dict:
    t = translator(lang)
    study = await describe(conn, study_id)  # 404 for an unknown study
    data = await view_time.over_time(conn, study)
    platforms = data["quality"]["platforms"]
    records = sum(p["items"] for p in platforms)
    states = {s: t(f"study.state.{s}") for s in view_time.STATES}
    texts = await conn.fetch("SELECT version, language, text, created FROM consent_texts"
                             " WHERE study_id = $1 ORDER BY created DESC, language", study_id)
    return {
        "study": study, "notice": notice if notice in ("created", "consent") else None,
        "fields": FIELDS, "consents": [dict(r) for r in texts],
        "participation": await view.participation(conn, study_id),
        "participation_chart": charts.participation(
            "participation", data["participation"], states, t("study.view.participation"),
            t("study.view.participation_desc")) if data["participation"] else None,
        "participation_rows": data["participation"], "states": states,
        "composition": composition_charts(data, t),
        "quality": data["quality"], "records": records,
        "unknown_share": sum(p["unknown"] for p in platforms) / records if records else None,
        "switch_audit": data["switch_audit"],
    }
