// The popup's line about the user's choice on this site's platform (issue 22), from what
// GET /api/choices answers: the most serious state over the platform's devices wins
// (turned back on > suspected > off, verified > not declared, on as declared > not verified
// yet). A platform whose rules need the user's word (`declare: required`, X) and has none shows
// "not declared" even before anything was observed. Pure: no page, no browser.
"use strict";

(() => {
  const RANK = {reverted: 5, suspected: 4, honoured: 3, not_declared: 2, declared_on: 1, unknown: 0};
  const KEY = {reverted: "popupChoiceReverted", suspected: "popupChoiceSuspected",
    honoured: "popupChoiceHonoured", not_declared: "popupChoiceNotDeclared",
    declared_on: "popupChoiceDeclaredOn", unknown: "popupChoiceUnknown"};

  const hhmm = (seconds) => {
    const d = new Date(seconds * 1000);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  };

  // {status, text, hiding} for the popup, or null when the watchdog has nothing for the platform.
  function describe(data, t) {
    const tracks = (data && data.choices) || [];
    if (!tracks.length) {
      const needed = data && data.declare === "required";
      return needed ? {status: "not_declared", text: t(KEY.not_declared), hiding: false} : null;
    }
    const worst = tracks.reduce((a, b) => ((RANK[b.status] || 0) > (RANK[a.status] || 0) ? b : a));
    const verified = Math.max(0, ...tracks.map((track) => track.last_verified || 0));
    const status = worst.status in KEY ? worst.status : "unknown";
    const text = status === "honoured" && verified ? t(KEY.honoured, hhmm(verified)) : t(KEY[status]);
    return {status, text, hiding: tracks.some((track) => track.hiding)};
  }

  globalThis.feedlensChoice = {describe, hhmm};
})();
