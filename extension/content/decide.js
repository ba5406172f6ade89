// What to do with an item: the decision from the proxy's mark, the rules added on this page and
// the profile's page rules (the DOM fallback for items the proxy never saw), and how the
// service's answers become marks. Pure: no DOM, no browser.* (tests/js runs it in node).
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.decide ??= (() => {
  const {firstRule} = globalThis.feedlensShared;

  // What page rules match against (see shared.js matches()).
  const view = (entry) => ({authorId: entry.mark?.author_id, author: entry.mark?.author,
    domAuthor: entry.author, title: entry.title, text: entry.text});

  // entry.mark: the proxy's mark, null when it has none, undefined while we wait for the answer.
  // page: {platform, rules, pausedUntil}; localRules: added by clicks here, newest first.
  // source says who decided: local, proxy, page (the fallback), none, or waiting.
  function decide(entry, page, localRules, now) {
    if (page.pausedUntil && page.pausedUntil * 1000 > now) {
      return {action: "keep", rule: null, source: entry.mark ? "proxy" : "none"};
    }
    const local = firstRule(localRules, view(entry), page.platform);
    if (local) return {action: local.action, rule: local.id, source: "local"};
    if (entry.mark) return {action: entry.mark.decision, rule: entry.mark.decision_rule, source: "proxy"};
    const fallback = firstRule(page.rules, view(entry), page.platform);
    if (fallback) return {action: fallback.action, rule: fallback.id, source: "page"};
    return {action: "keep", rule: null, source: entry.mark === null ? "none" : "waiting"};
  }

  // The attributes content.css acts on: hidden items are never painted, blurred until revealed.
  const pageEffect = (action) => ({hide: action === "hide", blur: action === "blur"});

  // The badge's provenance: the mark's, "unmarked" once we know there is none (or a page rule
  // decided), null while the service has not answered.
  function badgeKind(entry, decision) {
    if (entry.mark) return entry.mark.provenance;
    return decision.source === "page" || entry.mark === null ? "unmarked" : null;
  }

  // The service's answer to a marks request. The item log is written in batches, so a missing
  // id is asked again `retries` times before it counts as unmarked (null).
  // tries (id -> times missing) is updated in place; it outlives one answer.
  function sortAnswer(ids, answer, tries, retries) {
    const found = new Map();
    const retry = [];
    for (const id of ids) {
      if (answer[id]) {
        found.set(id, answer[id]);
        continue;
      }
      const n = tries.get(id) || 0;
      tries.set(id, n + 1);
      if (n < retries) retry.push(id);
      else found.set(id, null);
    }
    return {found, retry};
  }

  // A long infinite scroll: past max answers, forget the oldest half.
  const idsToForget = (marks, max) => (marks.size > max ? [...marks.keys()].slice(0, marks.size - max / 2) : []);

  return {view, decide, pageEffect, badgeKind, sortAnswer, idsToForget};
})();
