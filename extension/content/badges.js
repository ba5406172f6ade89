// Applying decisions to items: the page-level hide/blur attributes at once, the badge (a closed
// shadow root each) in time slices.
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.badges ??= (() => {
  const C = globalThis.feedlensContent;
  const {state, safe, measure} = C.core;
  const {PROVENANCE, icon, t} = globalThis.feedlensShared;
  const SLICE_MS = 8;  // badge drawing per frame: half a 60 Hz frame, the page keeps the rest
  const drawQueue = new Set();  // entries whose badge needs drawing
  let drawScheduled = false;

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
    .state, .format { font-weight: 500; opacity: .92; }
    .reveal { background: #24292f; color: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.4); }
    button:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
    [hidden] { display: none; }`;
  let sheet = null;
  try {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(BADGE_CSS);
  } catch { /* older engines: a <style> per badge */ }

  // Parsed once, cloned per badge: cheaper than parsing for hundreds of items.
  const {markup} = globalThis.feedlensCompat;
  const ROW = markup('<div class="row"><button class="badge" type="button" aria-haspopup="dialog" ' +
    'aria-expanded="false"></button><button class="reveal" type="button" hidden></button></div>');
  const ICONS = {};
  for (const kind of Object.keys(PROVENANCE)) {
    ICONS[kind] = markup(icon(kind)).firstChild;
  }

  const decisionFor = (entry) => C.decide.decide(entry, state.config, state.localRules, Date.now());

  function makeHost(entry) {
    const host = document.createElement("feedlens-badge");
    const root = host.attachShadow({mode: "closed"});
    try {
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.append(markup(`<style>${BADGE_CSS}</style>`));
    }
    root.append(ROW.cloneNode(true));
    const badge = root.querySelector(".badge");
    const reveal = root.querySelector(".reveal");
    reveal.textContent = t("blurShow");
    reveal.addEventListener("click", safe((event) => {
      event.stopPropagation();
      revealItem(entry);
    }));
    listenToBadge(badge, entry);
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

  // Hover or focus shows why; a click or ArrowDown opens it with the keyboard inside.
  function listenToBadge(badge, entry) {
    const overlay = C.overlay;
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
  }

  function revealItem(entry) {
    entry.el.setAttribute("data-feedlens-revealed", "");
    entry.parts.reveal.hidden = true;
  }

  // The page-level effect is cheap and immediate, so a hidden item is never painted; the badge
  // is drawn in time slices so no frame carries more than SLICE_MS of it.
  function update(entry) {
    const decision = decisionFor(entry);
    entry.decision = decision;
    const el = entry.el;
    const effect = C.decide.pageEffect(decision.action);
    el.toggleAttribute("data-feedlens-hide", effect.hide);
    el.toggleAttribute("data-feedlens-blur", effect.blur);
    if (!effect.blur) el.removeAttribute("data-feedlens-revealed");
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
    const kind = C.decide.badgeKind(entry, decision);
    if (!kind) {  // no answer from the service yet
      if (entry.host) entry.parts.row.hidden = true;
      return;
    }
    if (!el.isConnected) return;
    if (!entry.host || entry.host.parentNode !== el) entry.host = makeHost(entry);
    entry.parts.row.hidden = false;
    C.hints.explainBadge(entry.parts.badge, entry, decision);  // no mark: say why on hover
    const revealed = el.hasAttribute("data-feedlens-revealed");
    const format = entry.mark?.format;
    const key = `${kind} ${decision.action} ${revealed} ${format}`;
    if (entry.drawn === key) return;
    entry.drawn = key;
    paintBadge(entry.parts.badge, kind, decision.action, format);
    entry.parts.reveal.hidden = decision.action !== "blur" || revealed;
  }

  function paintBadge(badge, kind, action, format) {
    const meta = PROVENANCE[kind] || PROVENANCE.unknown;
    const {word, state: shown, format: shape, label} = C.why.badgeText(kind, action, t, format);
    badge.style.setProperty("--c", meta.color);
    badge.classList.toggle("dashed", kind === "unmarked");
    badge.dataset.provenance = kind;
    badge.dataset.decision = action;
    badge.replaceChildren((ICONS[kind] || ICONS.unknown).cloneNode(true), word);
    badge.dataset.format = format || "";
    if (shape) {
      const span = document.createElement("span");
      span.className = "format";
      span.textContent = `· ${shape}`;
      badge.append(span);
    }
    if (shown) {
      const span = document.createElement("span");
      span.className = "state";
      span.textContent = `· ${shown}`;
      badge.append(span);
    }
    badge.setAttribute("aria-label", label);
  }

  function updateAll() {
    const start = performance.now();
    state.entries.forEach(update);
    measure("feedlens:apply", start, state.entries.size);
  }

  return {update, updateAll, decisionFor};
})();
