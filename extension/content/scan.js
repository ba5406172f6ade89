// Finding items on the page and asking the service for their marks.
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.scan ??= (() => {
  const C = globalThis.feedlensContent;
  const {state, safe, send, measure} = C.core;
  const {extractId, readsText} = C.ids;
  const {sortAnswer, idsToForget} = C.decide;
  const RETRY_MS = [300, 800, 1500];  // the item log is written in batches: marks may lag a moment
  const MAX_MARKS = 5000;
  let scanQueued = false;
  let asking = false;

  // The spec with its regex compiled, or null when this browser cannot use a selector or pattern.
  function compile(spec) {
    try {
      document.querySelector(spec.item);
      for (const key of ["author", "title", "text"]) if (spec[key]) document.querySelector(spec[key]);
      if (spec.id.selector) document.querySelector(spec.id.selector);
      return {...spec, regex: spec.id.regex ? new RegExp(spec.id.regex) : null};
    } catch {
      return null;
    }
  }

  function textOf(el, selector) {
    if (!selector) return "";
    const found = el.querySelector(selector);
    return found ? found.textContent.trim() : "";
  }

  function readItem(el, spec) {
    const source = spec.id.selector ? el.querySelector(spec.id.selector) : el;
    const raw = !source ? null : readsText(spec) ? source.textContent : source.getAttribute(spec.id.attr);
    return {id: extractId(raw, spec.regex), author: textOf(el, spec.author), title: textOf(el, spec.title),
      text: textOf(el, spec.text)};
  }

  function queueScan() {
    if (scanQueued || state.dead || !state.config) return;
    scanQueued = true;
    requestAnimationFrame(scan);
    setTimeout(scan, 250);  // rAF does not run in background tabs
  }

  // boot() re-arms the scan after a new config.
  const rearm = () => (scanQueued = false);

  const scan = safe(() => {
    if (!scanQueued) return;
    scanQueued = false;
    const start = performance.now();
    const fresh = [];
    for (const spec of state.config.specs) {
      for (const el of document.querySelectorAll(spec.item)) {
        let entry = state.entries.get(el);
        // Adapters' selectors overlap (a grid cell holds a lockup): the outermost match is the item.
        if (entry ? entry.spec !== spec : el.parentElement?.closest(state.config.anyItem)) continue;
        const info = readItem(el, spec);
        if (!info.id || (entry && entry.id === info.id)) continue;
        entry = Object.assign(entry || {el, spec, host: null, parts: null}, info, {mark: state.marks.get(info.id)});
        state.entries.set(el, entry);
        fresh.push(entry);
        if (entry.mark === undefined) state.pending.add(info.id);
      }
    }
    for (const [el] of state.entries) if (!el.isConnected) state.entries.delete(el);
    fresh.forEach(C.badges.update);
    measure("feedlens:scan", start, fresh.length);
    askMarks();
  });

  const askMarks = safe(async () => {
    if (asking || !state.pending.size || state.dead) return;
    asking = true;
    const ids = [...state.pending];
    state.pending.clear();
    const reply = await send("marks", {platform: state.config.platform, ids});
    asking = false;
    if (!reply.ok) return;  // service down: no badges, nothing changes on the page
    const start = performance.now();
    const {found, retry} = sortAnswer(ids, reply.data, state.tries, RETRY_MS.length);
    for (const [id, mark] of found) state.marks.set(id, mark);
    measure("feedlens:apply", start, applyMarks());
    for (const id of idsToForget(state.marks, MAX_MARKS)) state.marks.delete(id);
    if (retry.length) askAgain(retry);
    if (state.pending.size) askMarks();
    else C.hints.check();  // all answers in: did the proxy see this feed?
  });

  // Entries still waiting whose answer came: decide and draw them. Returns how many.
  function applyMarks() {
    let applied = 0;
    for (const entry of state.entries.values()) {
      if (entry.mark === undefined && state.marks.has(entry.id)) {
        entry.mark = state.marks.get(entry.id);
        C.badges.update(entry);
        applied += 1;
      }
    }
    return applied;
  }

  function askAgain(ids) {
    const wait = RETRY_MS[Math.min(state.tries.get(ids[0]) - 1, RETRY_MS.length - 1)];
    setTimeout(() => {
      ids.forEach((id) => state.pending.add(id));
      askMarks();
    }, wait);
  }

  return {compile, queueScan, rearm};
})();
