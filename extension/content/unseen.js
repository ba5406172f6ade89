// When the proxy did not see this page's feed, and why an item has no proxy badge.
// Pure: no DOM, no browser.* (tests/js runs it in node); hints.js draws the notice.
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.unseen ??= (() => {
  const MIN_ITEMS = 3;  // one or two unmarked cards can be a server-rendered module, not the feed

  // entries: the page's items (entry.mark: a mark, null = the service has none, undefined = asking).
  function count(entries) {
    const counts = {marked: 0, unmarked: 0, waiting: 0};
    for (const entry of entries) {
      if (entry.mark) counts.marked += 1;
      else if (entry.mark === null) counts.unmarked += 1;
      else counts.waiting += 1;
    }
    return counts;
  }

  // Show the notice when every answer is in and not one item has a mark: the feed's requests
  // did not go through the proxy (or its CA is not trusted). Once per page load, and never on a
  // site where the user dismissed it. Unpaired or service down: no config, no counts, no call.
  function shouldHint(counts, {shown, dismissed}) {
    if (shown || dismissed) return false;
    return counts.marked === 0 && counts.waiting === 0 && counts.unmarked >= MIN_ITEMS;
  }

  // The message key a badge of an item without a mark carries on hover and focus, or null.
  function whyNoBadge(entry, decision) {
    if (entry.mark || (entry.mark === undefined && decision.source !== "page")) return null;
    return decision.source === "page" ? "hintDomRule" : "hintNotSeen";
  }

  return {MIN_ITEMS, count, shouldHint, whyNoBadge};
})();
