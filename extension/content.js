// Finds feed items with the adapters' `dom` rules, asks the service (through the background
// worker) for their marks, and draws a badge, a why-overlay and per-item actions.
// Runs in the extension's isolated world; only the background worker holds the service credentials.
(() => {
  "use strict";
  if (globalThis.feedlensContent) return;
  globalThis.feedlensContent = true;

  const {browser, PROVENANCE, icon, t, firstRule} = globalThis.feedlensShared;
  const RETRY_MS = [300, 800, 1500];  // the item log is written in batches: marks may lag a moment
  const MAX_MARKS = 5000;
  const SLICE_MS = 8;  // badge drawing per frame: half a 60 Hz frame, the page keeps the rest
  const CONFIG_RETRY_MS = 30_000;
  const HOVER_MS = 150;
  const TOAST_MS = 10_000;

  let config = null;          // {platform, specs, rules, pausedUntil}
  const entries = new Map();  // item element -> entry {el, spec, id, author, title, text, mark, host}
  const marks = new Map();    // item id -> mark, or null when the service has none
  const tries = new Map();    // item id -> how many times the service said "missing"
  const pending = new Set();  // ids to ask for
  let localRules = [];        // rules added by clicks on this page, newest first
  const drawQueue = new Set(); // entries whose badge needs drawing
  let scanQueued = false;
  let drawScheduled = false;
  let asking = false;
  let dead = false;           // the extension was reloaded or the service went away

  // ---- messaging ------------------------------------------------------------------------------

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
      dead = true;  // "Extension context invalidated": stay quiet, leave the page as it is
      return {ok: false, error: "gone"};
    }
  }

  // ---- reading items --------------------------------------------------------------------------

  function compile(spec) {
    try {
      document.querySelector(spec.item);
      for (const key of ["author", "title", "text"]) if (spec[key]) document.querySelector(spec[key]);
      if (spec.id.selector) document.querySelector(spec.id.selector);
      return {...spec, regex: spec.id.regex ? new RegExp(spec.id.regex) : null};
    } catch {
      return null;  // a selector or pattern this browser cannot use
    }
  }

  function textOf(el, selector) {
    if (!selector) return "";
    const found = el.querySelector(selector);
    return found ? found.textContent.trim() : "";
  }

  function readItem(el, spec) {
    const source = spec.id.selector ? el.querySelector(spec.id.selector) : el;
    let id = !source ? null
      : spec.id.attr === "text" ? source.textContent : source.getAttribute(spec.id.attr);
    if (id && spec.regex) {
      const match = spec.regex.exec(id);
      id = match ? (match[1] ?? match[0]) : null;
    }
    id = id ? id.trim() : "";
    return {id, author: textOf(el, spec.author), title: textOf(el, spec.title), text: textOf(el, spec.text)};
  }

  // ---- scanning -------------------------------------------------------------------------------

  function queueScan() {
    if (scanQueued || dead || !config) return;
    scanQueued = true;
    requestAnimationFrame(scan);
    setTimeout(scan, 250);  // rAF does not run in background tabs
  }

  const scan = safe(() => {
    if (!scanQueued) return;
    scanQueued = false;
    const start = performance.now();
    const fresh = [];
    for (const spec of config.specs) {
      for (const el of document.querySelectorAll(spec.item)) {
        let entry = entries.get(el);
        // Adapters' selectors overlap (a grid cell holds a lockup): the outermost match is the item.
        if (entry ? entry.spec !== spec : el.parentElement?.closest(config.anyItem)) continue;
        const info = readItem(el, spec);
        if (!info.id || (entry && entry.id === info.id)) continue;
        entry = Object.assign(entry || {el, spec, host: null, parts: null}, info, {mark: marks.get(info.id)});
        entries.set(el, entry);
        fresh.push(entry);
        if (entry.mark === undefined) pending.add(info.id);
      }
    }
    for (const [el] of entries) if (!el.isConnected) entries.delete(el);
    fresh.forEach(update);
    measure("feedlens:scan", start, fresh.length);
    askMarks();
  });

  function measure(name, start, items) {
    if (items) performance.measure(name, {start, end: performance.now(), detail: {items}});
  }

  const askMarks = safe(async () => {
    if (asking || !pending.size || dead) return;
    asking = true;
    const ids = [...pending];
    pending.clear();
    const reply = await send("marks", {platform: config.platform, ids});
    asking = false;
    if (!reply.ok) return;  // service down: no badges, nothing changes on the page
    const start = performance.now();
    const retry = [];
    for (const id of ids) {
      if (reply.data[id]) {
        marks.set(id, reply.data[id]);
        continue;
      }
      const n = tries.get(id) || 0;
      tries.set(id, n + 1);
      if (n < RETRY_MS.length) retry.push(id);
      else marks.set(id, null);
    }
    let applied = 0;
    for (const entry of entries.values()) {
      if (entry.mark === undefined && marks.has(entry.id)) {
        entry.mark = marks.get(entry.id);
        update(entry);
        applied += 1;
      }
    }
    measure("feedlens:apply", start, applied);
    if (marks.size > MAX_MARKS) {  // a long infinite scroll: forget the oldest answers
      for (const id of [...marks.keys()].slice(0, marks.size - MAX_MARKS / 2)) marks.delete(id);
    }
    if (retry.length) {
      const wait = RETRY_MS[Math.min(tries.get(retry[0]) - 1, RETRY_MS.length - 1)];
      setTimeout(() => {
        retry.forEach((id) => pending.add(id));
        askMarks();
      }, wait);
    }
    if (pending.size) askMarks();
  });

  // ---- deciding -------------------------------------------------------------------------------

  const view = (entry) => ({authorId: entry.mark?.author_id, author: entry.mark?.author,
    domAuthor: entry.author, title: entry.title, text: entry.text});

  function decide(entry) {
    if (config.pausedUntil && config.pausedUntil * 1000 > Date.now()) {
      return {action: "keep", rule: null, source: entry.mark ? "proxy" : "none"};
    }
    const local = firstRule(localRules, view(entry), config.platform);
    if (local) return {action: local.action, rule: local.id, source: "local"};
    if (entry.mark) return {action: entry.mark.decision, rule: entry.mark.decision_rule, source: "proxy"};
    const page = firstRule(config.rules, view(entry), config.platform);
    if (page) return {action: page.action, rule: page.id, source: "page"};
    return {action: "keep", rule: null, source: entry.mark === null ? "none" : "waiting"};
  }

  // ---- drawing --------------------------------------------------------------------------------

  const BADGE_CSS = `
    :host { all: initial; }
    .row { display: flex; flex-direction: column; gap: 4px; align-items: flex-start; width: max-content;
      position: relative; top: -12px; left: 4px; }  /* straddles the item's top edge: covers padding, not text */
    button { all: unset; box-sizing: border-box; cursor: pointer; display: inline-flex; align-items: center;
      gap: 4px; padding: 2px 9px 2px 6px; border-radius: 999px; white-space: nowrap;
      font: 600 12px/18px system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei",
      "Noto Sans CJK SC", sans-serif; letter-spacing: 0; }
    .badge { background: var(--c); color: #fff; box-shadow: 0 0 0 1.5px #fff, 0 1px 4px rgba(0,0,0,.4); }
    .badge.dashed { background: #fff; color: var(--c); box-shadow: inset 0 0 0 1.5px var(--c), 0 1px 4px rgba(0,0,0,.3); }
    .state { font-weight: 500; opacity: .92; }
    .reveal { background: #24292f; color: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.4); }
    button:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
    [hidden] { display: none; }`;
  let sheet = null;
  try {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(BADGE_CSS);
  } catch { /* older engines: a <style> per badge */ }

  // Parsed once, cloned per badge: cheaper than innerHTML for hundreds of items.
  const ROW = document.createElement("template");
  ROW.innerHTML = '<div class="row"><button class="badge" type="button" aria-haspopup="dialog" ' +
    'aria-expanded="false"></button><button class="reveal" type="button" hidden></button></div>';
  const ICONS = {};
  for (const kind of Object.keys(PROVENANCE)) {
    const template = document.createElement("template");
    template.innerHTML = icon(kind);
    ICONS[kind] = template.content.firstChild;
  }

  function makeHost(entry) {
    const host = document.createElement("feedlens-badge");
    const root = host.attachShadow({mode: "closed"});
    try {
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.innerHTML = `<style>${BADGE_CSS}</style>`;
    }
    root.append(ROW.content.cloneNode(true));
    const badge = root.querySelector(".badge");
    const reveal = root.querySelector(".reveal");
    reveal.textContent = t("blurShow");
    reveal.addEventListener("click", safe((event) => {
      event.stopPropagation();
      revealItem(entry);
    }));
    badge.addEventListener("mouseenter", safe(() => overlay.showSoon(entry)));
    badge.addEventListener("mouseleave", () => overlay.hideSoon());
    badge.addEventListener("focus", safe(() => overlay.show(entry)));
    badge.addEventListener("blur", () => overlay.hideSoon());
    badge.addEventListener("click", safe((event) => {
      event.preventDefault();
      event.stopPropagation();  // the badge sits inside a link on most sites
      overlay.show(entry, true);
    }));
    badge.addEventListener("keydown", safe((event) => {
      if (event.key === "Escape") overlay.hide();
      if (event.key === "ArrowDown") {
        event.preventDefault();
        overlay.show(entry, true);
      }
    }));
    // Blurred items reveal on the first click anywhere on them (and do not follow the link).
    if (!entry.parts) {
      entry.el.addEventListener("click", safe((event) => {
        if (entry.el.hasAttribute("data-feedlens-blur") && !entry.el.hasAttribute("data-feedlens-revealed")) {
          event.preventDefault();
          event.stopPropagation();
          revealItem(entry);
        }
      }), true);
    }
    entry.parts = {badge, reveal, row: root.querySelector(".row")};
    entry.drawn = "";
    entry.el.prepend(host);
    return host;
  }

  function revealItem(entry) {
    entry.el.setAttribute("data-feedlens-revealed", "");
    entry.parts.reveal.hidden = true;
  }

  // The page-level effect is cheap and immediate, so a hidden item is never painted; the badge
  // (a shadow root each) is drawn in time slices so no frame carries more than SLICE_MS of it.
  function update(entry) {
    const decision = decide(entry);
    entry.decision = decision;
    const el = entry.el;
    el.toggleAttribute("data-feedlens-hide", decision.action === "hide");
    el.toggleAttribute("data-feedlens-blur", decision.action === "blur");
    if (decision.action !== "blur") el.removeAttribute("data-feedlens-revealed");
    drawQueue.add(entry);
    scheduleDraw();
  }

  function scheduleDraw() {
    if (drawScheduled) return;
    drawScheduled = true;
    requestAnimationFrame(drawSome);
    setTimeout(drawSome, 250);  // rAF does not run in background tabs
  }

  const drawSome = safe(() => {
    if (!drawScheduled) return;
    drawScheduled = false;
    const start = performance.now();
    let drawn = 0;
    for (const entry of drawQueue) {
      drawQueue.delete(entry);
      draw(entry);
      drawn += 1;
      if (performance.now() - start > SLICE_MS) break;
    }
    measure("feedlens:draw", start, drawn);
    if (drawQueue.size) scheduleDraw();
  });

  function draw(entry) {
    const {el, decision} = entry;
    const kind = entry.mark ? entry.mark.provenance
      : decision.source === "page" || entry.mark === null ? "unmarked" : null;
    if (!kind) {  // no answer from the service yet
      if (entry.host) entry.parts.row.hidden = true;
      return;
    }
    if (!el.isConnected) return;
    if (!entry.host || entry.host.parentNode !== el) entry.host = makeHost(entry);
    entry.parts.row.hidden = false;
    const revealed = el.hasAttribute("data-feedlens-revealed");
    const key = `${kind} ${decision.action} ${revealed}`;
    if (entry.drawn === key) return;
    entry.drawn = key;
    const meta = PROVENANCE[kind] || PROVENANCE.unknown;
    const word = t(`prov_${kind}`);
    const state = ["hide", "blur", "label", "move_to_end"].includes(decision.action) ? t(`action_${decision.action}`) : "";
    const {badge, reveal} = entry.parts;
    badge.style.setProperty("--c", meta.color);
    badge.classList.toggle("dashed", kind === "unmarked");
    badge.dataset.provenance = kind;
    badge.dataset.decision = decision.action;
    badge.replaceChildren((ICONS[kind] || ICONS.unknown).cloneNode(true), word);
    if (state) {
      const span = document.createElement("span");
      span.className = "state";
      span.textContent = `· ${state}`;
      badge.append(span);
    }
    badge.setAttribute("aria-label", t("badgeLabel", state ? `${word}, ${state}` : word));
    reveal.hidden = decision.action !== "blur" || revealed;
  }

  function updateAll() {
    const start = performance.now();
    entries.forEach(update);
    measure("feedlens:apply", start, entries.size);
  }

  // ---- the why-overlay, the item menu and the toast (one shared shadow root) -------------------

  const overlay = (() => {
    const CSS = `
      :host { all: initial; }
      .panel, .toast { position: fixed; box-sizing: border-box; background: #fff; color: #1f2328;
        font: 13px/1.45 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
        border: 1px solid #d0d7de; border-radius: 10px; box-shadow: 0 8px 28px rgba(0,0,0,.25); }
      .panel { width: 340px; max-width: calc(100vw - 16px); padding: 12px 14px; }
      .head { display: flex; align-items: center; gap: 6px; font-weight: 700; color: var(--c); }
      .long { color: #1f2328; margin: 2px 0 8px; }
      dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 3px 10px; }
      dt { color: #57606a; }
      dd { margin: 0; overflow-wrap: anywhere; }
      code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa; padding: 0 3px; border-radius: 4px; }
      .note { margin: 8px 0 0; padding: 6px 8px; background: #fff8c5; border-radius: 6px; }
      .menu { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; border-top: 1px solid #d8dee4; padding-top: 10px; }
      button { font: inherit; cursor: pointer; border: 1px solid #d0d7de; background: #f6f8fa; color: #1f2328;
        border-radius: 6px; padding: 3px 8px; }
      button:hover { background: #eaeef2; }
      button:focus-visible, input:focus-visible { outline: 3px solid #ffbf47; outline-offset: 1px; }
      button:disabled { opacity: .5; cursor: default; }
      form { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; width: 100%; }
      label { width: 100%; color: #57606a; }
      input { flex: 1; font: inherit; padding: 3px 6px; border: 1px solid #8c959f; border-radius: 6px; min-width: 0; }
      .toast { left: 50%; bottom: 24px; transform: translateX(-50%); padding: 10px 14px; display: flex; gap: 12px; align-items: center; }
      [hidden] { display: none !important; }`;
    const host = document.createElement("feedlens-overlay");
    const root = host.attachShadow({mode: "closed"});
    root.innerHTML = `<style>${CSS}</style><div class="panel" role="dialog" hidden></div>` +
      '<div class="toast" role="status" aria-live="polite" hidden></div>';
    const panel = root.querySelector(".panel");
    const toast = root.querySelector(".toast");
    let current = null;
    let timer = 0;
    let toastTimer = 0;

    panel.addEventListener("mouseenter", () => clearTimeout(timer));
    panel.addEventListener("mouseleave", () => hideSoon());
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        const back = current;
        hide();
        back?.parts.badge.focus();
      }
    });
    panel.addEventListener("focusout", (event) => {
      if (!event.relatedTarget || !panel.contains(event.relatedTarget)) hideSoon();
    });

    function attach() {
      if (!host.isConnected) document.documentElement.append(host);
    }

    function showSoon(entry) {
      clearTimeout(timer);
      timer = setTimeout(() => show(entry), HOVER_MS);
    }

    function hideSoon() {
      clearTimeout(timer);
      timer = setTimeout(() => {
        // Keep it while the keyboard or the mouse is inside (a click on its text drops focus).
        if (!root.activeElement && !panel.matches(":hover")) hide();
      }, 300);
    }

    function hide() {
      clearTimeout(timer);
      panel.hidden = true;
      current?.parts.badge.setAttribute("aria-expanded", "false");
      current = null;
    }

    function show(entry, focus = false) {
      clearTimeout(timer);
      attach();
      if (current !== entry) {
        current?.parts.badge.setAttribute("aria-expanded", "false");
        current = entry;
        fill(entry);
      }
      entry.parts.badge.setAttribute("aria-expanded", "true");
      panel.hidden = false;
      place(entry.parts.badge.getBoundingClientRect());
      if (focus) panel.querySelector("button:not(:disabled)")?.focus();
    }

    // The panel's content changed size: place it again by its badge.
    function refit() {
      if (current && !panel.hidden) place(current.parts.badge.getBoundingClientRect());
    }

    function place(rect) {
      const width = panel.offsetWidth;
      const height = panel.offsetHeight;
      const left = Math.max(8, Math.min(rect.left, innerWidth - width - 8));
      const below = rect.bottom + 6;
      const top = below + height > innerHeight - 8 ? Math.max(8, rect.top - height - 6) : below;
      panel.style.left = `${left}px`;
      panel.style.top = `${top}px`;
    }

    function row(dl, label, value, code = false) {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = label;
      if (code) {
        const c = document.createElement("code");
        c.textContent = value;
        dd.append(c);
      } else {
        dd.textContent = value;
      }
      dl.append(dt, dd);
    }

    function fill(entry) {
      const mark = entry.mark;
      const decision = decide(entry);
      const kind = mark ? mark.provenance : "unmarked";
      const meta = PROVENANCE[kind] || PROVENANCE.unknown;
      panel.replaceChildren();
      panel.style.setProperty("--c", meta.color);
      panel.setAttribute("aria-label", t(`prov_${kind}`));
      const head = document.createElement("div");
      head.className = "head";
      head.innerHTML = icon(kind, 16);
      head.append(t(`prov_${kind}`));
      if (mark && typeof mark.confidence === "number") {
        const c = document.createElement("span");
        c.style.cssText = "font-weight:400;color:#57606a";
        c.textContent = `(${t("overlayConfidence", Math.round(mark.confidence * 100))})`;
        head.append(c);
      }
      const long = document.createElement("div");
      long.className = "long";
      long.textContent = t(`provLong_${kind}`);
      const dl = document.createElement("dl");
      if (mark) {
        if (mark.reason) row(dl, t("overlayWhy"), mark.reason);
        for (const ev of (mark.evidence || []).slice(0, 6)) {
          const value = typeof ev.value === "string" ? ev.value : JSON.stringify(ev.value);
          row(dl, t("overlayEvidence"), `${ev.path} = ${String(value).slice(0, 160)}`, true);
        }
        if (mark.rule) row(dl, t("overlayRule"), mark.rule, true);
      }
      const author = mark?.author || entry.author;
      if (author) row(dl, t("overlayAuthor"), author);
      const action = t(`action_${decision.action}`);
      row(dl, t("overlayDecision"), decision.rule ? t("overlayDecidedBy", action, decision.rule) : t("overlayNoRule"));
      panel.append(head, long, dl);
      const note = decision.source === "local" ? "overlayLocal" : decision.source === "page" ? "overlayFallback"
        : !mark ? "overlayUnmarked" : null;
      if (note) {
        const p = document.createElement("p");
        p.className = "note";
        p.textContent = t(note);
        panel.append(p);
      }
      panel.append(menu(entry));
    }

    function button(label, onClick, disabled = false) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.disabled = disabled;
      // Only real clicks: a page script must not be able to write rules through us.
      b.addEventListener("click", safe((event) => event.isTrusted && onClick(event)));
      return b;
    }

    function menu(entry) {
      const box = document.createElement("div");
      box.className = "menu";
      const authorId = entry.mark?.author_id || "";
      const author = entry.mark?.author || entry.author || "";
      const noAuthor = !authorId && !author;
      box.append(
        button(t("menuHideAuthor"), () => act(entry, {kind: "hide_author", author_id: authorId, author}), noAuthor),
        button(t("menuShowAuthor"), () => act(entry, {kind: "show_author", author_id: authorId, author}), noAuthor),
        button(t("menuHideLike"), () => box.replaceWith(likeForm(entry))),
        button(t("menuReport"), () => {
          box.replaceWith(reportPicker(entry));
          refit();
        }),
      );
      return box;
    }

    function likeForm(entry) {
      const form = document.createElement("form");
      const label = document.createElement("label");
      const input = document.createElement("input");
      label.textContent = t("hideLikeLabel");
      input.value = (entry.title || entry.text || "").slice(0, 40);
      input.setAttribute("aria-label", t("hideLikeLabel"));
      label.htmlFor = input.id = "feedlens-like";
      const submit = button(t("hideLikeSubmit"), () => {});
      submit.type = "submit";
      form.append(label, input, submit, button(t("cancel"), () => hide()));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (event.isTrusted && input.value.trim()) act(entry, {kind: "hide_like", keyword: input.value.trim()});
      });
      setTimeout(() => input.focus());
      return form;
    }

    // actions: more buttons, [{label, onClick}].
    function notify(text, undo, actions = []) {
      attach();
      clearTimeout(toastTimer);
      toast.replaceChildren(text);
      if (undo) toast.append(button(t("undo"), undo));
      for (const action of actions) toast.append(button(action.label, action.onClick));
      toast.append(button(t("close"), () => (toast.hidden = true)));
      toast.hidden = false;
      toastTimer = setTimeout(() => (toast.hidden = true), TOAST_MS);
    }

    // A place inside our shadow root for a moment (the clipboard fallback needs a focused field).
    const scratch = (el) => root.append(el);

    return {show, showSoon, hide, hideSoon, notify, button, scratch, refit};
  })();

  // ---- actions: write a rule through the service, apply it here at once, offer undo ------------

  async function act(entry, request) {
    overlay.hide();
    const reply = await send("act", {platform: config.platform, ...request});
    if (!reply.ok) {
      overlay.notify(t("toastFailed", reply.message || t(reply.error === "offline" ? "errorOffline" : "errorUnpaired")));
      return;
    }
    const {id, rule} = reply.data;
    localRules = [rule, ...localRules];
    updateAll();
    const name = request.kind === "hide_like" ? request.keyword : request.author || request.author_id;
    const text = t({hide_author: "toastHiddenAuthor", show_author: "toastShownAuthor", hide_like: "toastHiddenLike"}[request.kind], name);
    overlay.notify(text, async () => {
      const undone = await send("undo", {id});
      if (!undone.ok) {
        overlay.notify(t("toastFailed", undone.message || undone.error));
        return;
      }
      localRules = localRules.filter((r) => r.id !== id);
      updateAll();
      overlay.notify(t("toastUndone"));
    });
  }

  // ---- reporting an item: the picker and the sending live in report-ui.js ----------------------

  const reporting = globalThis.feedlensReport;

  function reportPicker(entry) {
    return reporting.picker({platform: config.platform, id: entry.id, kind: entry.mark?.kind}, {
      send, button: overlay.button, onCancel: () => overlay.hide(), refit: () => overlay.refit(),
      onSubmit: safe((choice, description, kind) => submitReport(entry, choice, description, kind)),
    });
  }

  const nextFrame = () => new Promise((resolve) => {
    requestAnimationFrame(() => resolve());
    setTimeout(resolve, 100);  // rAF does not run in background tabs
  });

  // One call per click: one client_request_id, so the service stores one report for it.
  async function submitReport(entry, choice, description, kind) {
    const clientRequestId = reporting.newRequestId();
    overlay.hide();
    await nextFrame();
    await nextFrame();  // the screenshot shows the page, not our menu
    const shot = await send("report-capture");
    overlay.notify(t("reportSending"));
    const reply = await send("report-submit", {platform: config.platform, item_id: entry.id, kind,
      category: choice.category, description, client_request_id: clientRequestId,
      screenshot: shot.ok ? shot.data.screenshot : null});
    await reportOutcome(reply);
  }

  async function reportOutcome(reply) {
    if (!reply.ok) {
      const reason = reply.message || t(reply.error === "offline" ? "errorOffline" : "errorUnpaired");
      overlay.notify(reply.status === 429 ? t("reportToastTooMany", reason) : t("toastFailed", reason));
      return;
    }
    const {report, request} = reply.data;
    if (report.status === "manual" && request) {
      await finishManually(request);
      return;
    }
    const key = `reportToast_${report.status}`;
    const text = report.status === "failed" && report.message ? `${t(key)} (${report.message})` : t(key);
    const history = {label: t("reportHistory"), onClick: () => send("report-history")};
    overlay.notify(text, null, report.status === "failed" ? [history] : []);
  }

  // The user finishes on the platform's own page; the text to paste is on the clipboard.
  async function finishManually(request) {
    const copy = () => reporting.copy(request.text || "", overlay.scratch);
    const copied = request.text ? await copy() : false;
    if (request.manual_url) await send("report-open", {url: request.manual_url});
    const again = {label: t("reportCopy"), onClick: copy};
    overlay.notify(t(copied || !request.text ? "reportToast_manual" : "reportToast_manualNotCopied"),
      null, request.text ? [again] : []);
  }

  // ---- talking to the popup and the background ---------------------------------------------------

  browser.runtime.onMessage.addListener(safe((message, sender, sendResponse) => {
    if (sender.id !== browser.runtime.id || !message) return false;
    if (message.type === "composition") {
      const onPage = {};
      for (const entry of entries.values()) {
        const kind = entry.mark ? entry.mark.provenance : null;
        if (kind && entry.el.isConnected) onPage[kind] = (onPage[kind] || 0) + 1;
      }
      sendResponse({platform: config?.platform || null, since: performance.timeOrigin / 1000, onPage});
    } else if (message.type === "refresh") {
      boot().then(() => sendResponse({ok: true}));
      return true;
    } else if (message.type === "report-hello") {  // which platform is this tab? (for retries)
      sendResponse({platform: config?.platform || null});
    } else if (message.type === "report-send") {   // the background hands us a prepared report
      reporting.send(message.request || {}).then(sendResponse);
      return true;
    }
    return false;
  }));

  // ---- start ----------------------------------------------------------------------------------

  let observer = null;

  const boot = safe(async () => {
    const reply = await send("page-config", {host: location.hostname});
    if (!reply.ok) {
      if (reply.error === "offline") setTimeout(boot, CONFIG_RETRY_MS);  // it may come up later
      return;
    }
    if (!reply.data.platform) return;
    const specs = reply.data.specs.map(compile).filter(Boolean);
    config = {...reply.data, specs, anyItem: specs.map((s) => s.item).join(", ")};
    if (!observer) {
      const attributes = ["href", ...new Set(specs.map((s) => s.id.attr).filter((a) => a !== "text"))];
      observer = new MutationObserver(safe((records) => {
        if (records.some((r) => !ours(r))) queueScan();
      }));
      observer.observe(document.documentElement, {childList: true, subtree: true, attributes: true,
        attributeFilter: attributes, characterData: specs.some((s) => s.id.attr === "text")});
    }
    updateAll();
    scanQueued = false;
    queueScan();
  });

  // Our own badges and attributes must not wake the observer again.
  function ours(record) {
    if (record.type !== "childList") return false;
    const nodes = [...record.addedNodes, ...record.removedNodes];
    return nodes.length > 0 && nodes.every((n) => n.nodeName === "FEEDLENS-BADGE" || n.nodeName === "FEEDLENS-OVERLAY");
  }

  boot();
})();
