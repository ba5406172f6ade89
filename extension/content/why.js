// The words on a badge and in the why-overlay, and the toasts' texts. Pure: t (shared.js's
// translator) is passed in, no DOM, no browser.* (tests/js runs it in node).
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.why ??= (() => {
  const MAX_EVIDENCE = 6;       // the panel stays small; the dashboard shows all of it
  const MAX_VALUE_CHARS = 160;
  const SHOWN_ACTIONS = ["hide", "blur", "label", "move_to_end"];  // "keep" needs no word

  // kind: the badge's provenance (decide.badgeKind); action: the decision's; format: the
  // mark's (docs/format.md), named on the badge when known.
  function badgeText(kind, action, t, format) {
    const word = t(`prov_${kind}`);
    const state = SHOWN_ACTIONS.includes(action) ? t(`action_${action}`) : "";
    const shape = format && format !== "unknown" ? t(`format_${format}`) : "";
    const spoken = [word, shape, state].filter(Boolean).join(", ");
    return {word, state, format: shape, label: t("badgeLabel", spoken)};
  }

  const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  const MAX_REASON_CHARS = 80;  // the panel stays small; `feedlens classify` shows all of it
  const short = (text) => (text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text);

  // What the item is: "Short video · 0:42 · Repost"; an unknown format or relation with its reason.
  function formatText(mark, t) {
    if (!mark?.format) return null;
    const parts = [t(`format_${mark.format}`)];
    if (mark.format === "unknown" && mark.format_why) parts[0] += ` (${short(mark.format_why)})`;
    if (Number.isFinite(mark.duration_s)) parts.push(clock(mark.duration_s));
    if (mark.relation && mark.relation !== "original") {
      const why = mark.relation === "unknown" && mark.relation_why && mark.relation_why !== mark.format_why
        ? ` (${short(mark.relation_why)})` : "";
      parts.push(t(`relation_${mark.relation}`) + why);
    }
    return parts.join(" · ");
  }

  function evidenceText(ev) {
    const value = typeof ev.value === "string" ? ev.value : JSON.stringify(ev.value);
    return `${ev.path} = ${String(value).slice(0, MAX_VALUE_CHARS)}`;
  }

  // The overlay's content: heading, long explanation, rows (label, value, code?) and a note.
  function explain(entry, decision, t) {
    const mark = entry.mark;
    const kind = mark ? mark.provenance : "unmarked";
    const rows = [];
    if (mark) {
      if (mark.reason) rows.push({label: t("overlayWhy"), value: mark.reason});
      const shape = formatText(mark, t);
      if (shape) rows.push({label: t("overlayFormat"), value: shape});
      for (const ev of (mark.evidence || []).slice(0, MAX_EVIDENCE)) {
        rows.push({label: t("overlayEvidence"), value: evidenceText(ev), code: true});
      }
      if (mark.rule) rows.push({label: t("overlayRule"), value: mark.rule, code: true});
      // which adapter version decided: the rule pack, "feedlens-core 2026.12.06" (docs/adapters.md)
      if (mark.pack) rows.push({label: t("overlayPack"), value: mark.pack, code: true});
    }
    const author = mark?.author || entry.author;
    if (author) rows.push({label: t("overlayAuthor"), value: author});
    const action = t(`action_${decision.action}`);
    rows.push({label: t("overlayDecision"),
      value: decision.rule ? t("overlayDecidedBy", action, decision.rule) : t("overlayNoRule")});
    const note = decision.source === "local" ? "overlayLocal" : decision.source === "page" ? "overlayFallback"
      : !mark ? "overlayUnmarked" : null;
    const confidence = mark && typeof mark.confidence === "number"
      ? t("overlayConfidence", Math.round(mark.confidence * 100)) : null;
    return {kind, title: t(`prov_${kind}`), confidence, long: t(`provLong_${kind}`), rows,
      note: note ? t(note) : null};
  }

  // After a menu action (request: what was sent to the service).
  function actedText(request, t) {
    const name = request.kind === "hide_like" ? request.keyword : request.author || request.author_id;
    const key = {hide_author: "toastHiddenAuthor", show_author: "toastShownAuthor", hide_like: "toastHiddenLike"};
    return t(key[request.kind], name);
  }

  // A failed request's reason: the service's message, or why we could not reach it.
  const failureReason = (reply, t) => reply.message || t(reply.error === "offline" ? "errorOffline" : "errorUnpaired");

  // The toast after a report was stored and sent (report: the service's record).
  function reportedText(report, t) {
    const key = `reportToast_${report.status}`;
    return report.status === "failed" && report.message ? `${t(key)} (${report.message})` : t(key);
  }

  return {badgeText, formatText, explain, actedText, failureReason, reportedText};
})();
