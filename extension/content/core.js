// The content script: finds feed items with the adapters' `dom` rules, asks the service (through
// the background worker) for their marks, and draws a badge, a why-overlay and per-item actions.
// Runs in the extension's isolated world; only the background worker holds the service credentials.
//
// It is split by concern into content/*.js, listed in order in manifest.json: content scripts
// of one page share one scope, so each file adds its part to globalThis.feedlensContent. Each
// part is set with `??=`, so a second injection leaves the running copy alone.
// This file: the page's state, messaging to the background, and error containment.
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.core ??= (() => {
  const {browser} = globalThis.feedlensShared;

  const state = {
    config: null,          // {platform, specs, rules, pausedUntil, anyItem}
    entries: new Map(),    // item element -> entry {el, spec, id, author, title, text, mark, host, parts}
    marks: new Map(),      // item id -> mark, or null when the service has none
    tries: new Map(),      // item id -> how many times the service said "missing"
    pending: new Set(),    // ids to ask for
    localRules: [],        // rules added by clicks on this page, newest first
    dead: false,           // the extension was reloaded or the service went away
  };

  // Anything of ours that fails must not surface in the page: log quietly and carry on.
  const safe = (fn) => (...args) => {
    try {
      const result = fn(...args);
      return result instanceof Promise ? result.catch((err) => console.debug("feedlens:", err)) : result;
    } catch (err) {
      console.debug("feedlens:", err);
      return undefined;
    }
  };

  async function send(type, data = {}) {
    try {
      const reply = await browser.runtime.sendMessage({type, ...data});
      return reply || {ok: false, error: "error"};
    } catch {
      state.dead = true;  // "Extension context invalidated": stay quiet, leave the page as it is
      return {ok: false, error: "gone"};
    }
  }

  // Timings for benchmarks/extension_bench.py (performance.measure entries).
  function measure(name, start, items) {
    if (items) performance.measure(name, {start, end: performance.now(), detail: {items}});
  }

  return {state, safe, send, measure};
})();
