// Item ids and what the page observer watches, from the adapters' `dom` specs.
// Pure: no DOM, no browser.* (tests/js runs it in node); scan.js does the reading.
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.ids ??= (() => {
  // raw: the id attribute's value or the element's text; regex: the spec's id.regex, compiled.
  // The first group is the id when there is one (a link's /video/BV…), else the whole match.
  function extractId(raw, regex) {
    let id = raw;
    if (id && regex) {
      const match = regex.exec(id);
      id = match ? (match[1] ?? match[0]) : null;
    }
    return id ? id.trim() : "";
  }

  // Where an id lives: the spec's attribute, or the text when attr is "text".
  const readsText = (spec) => spec.id.attr === "text";

  // Attributes whose change can change an id (links are recycled by virtual lists).
  function watchedAttributes(specs) {
    return [...new Set(["href", ...specs.filter((s) => !readsText(s)).map((s) => s.id.attr)])];
  }

  // One selector for "is this inside another item?": adapters' selectors overlap.
  const anyItemSelector = (specs) => specs.map((s) => s.item).join(", ");

  return {extractId, readsText, watchedAttributes, anyItemSelector};
})();
