// The why-overlay (a panel by the badge, with the item menu) and the toast, in one shared
// closed shadow root. What they say comes from why.js; the menu from actions.js.
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.overlay ??= (() => {
  const C = globalThis.feedlensContent;
  const {safe} = C.core;
  const {PROVENANCE, icon, t} = globalThis.feedlensShared;
  const HOVER_MS = 150;
  const TOAST_MS = 10_000;
  const CSS = `
    :host { all: initial; }
    .panel, .toast { position: fixed; box-sizing: border-box; background: #fff; color: #1f2328;
      font: 13px/1.45 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
      border: 1px solid #d0d7de; border-radius: 10px; box-shadow: 0 8px 28px rgba(0,0,0,.25); }
    .panel { width: 340px; max-width: calc(100vw - 16px); padding: 12px 14px;
      max-height: calc(100vh - 16px); overflow-y: auto; }  /* the report picker can be long */
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
  root.append(globalThis.feedlensCompat.markup(`<style>${CSS}</style><div class="panel" role="dialog" hidden></div>` +
    '<div class="toast" role="status" aria-live="polite" hidden></div>'));
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

  function row(dl, {label, value, code = false}) {
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
    const why = C.why.explain(entry, C.badges.decisionFor(entry), t);
    panel.replaceChildren();
    panel.style.setProperty("--c", (PROVENANCE[why.kind] || PROVENANCE.unknown).color);
    panel.setAttribute("aria-label", why.title);
    const head = document.createElement("div");
    head.className = "head";
    head.append(globalThis.feedlensCompat.markup(icon(why.kind, 16)));
    head.append(why.title);
    if (why.confidence) {
      const c = document.createElement("span");
      c.style.cssText = "font-weight:400;color:#57606a";
      c.textContent = `(${why.confidence})`;
      head.append(c);
    }
    const long = document.createElement("div");
    long.className = "long";
    long.textContent = why.long;
    const dl = document.createElement("dl");
    why.rows.forEach((r) => row(dl, r));
    panel.append(head, long, dl);
    if (why.note) {
      const p = document.createElement("p");
      p.className = "note";
      p.textContent = why.note;
      panel.append(p);
    }
    panel.append(C.actions.menu(entry));
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
