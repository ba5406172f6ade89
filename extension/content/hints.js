// First-run help on feed pages: one small notice when the proxy saw none of this page's feed
// (unseen.js decides), and the hover text of badges on items without a proxy mark.
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.hints ??= (() => {
  const C = globalThis.feedlensContent;
  const {state, safe, send} = C.core;
  const {t} = globalThis.feedlensShared;
  let shown = false;  // once per page load
  let host = null;

  // Small, in the corner, never over the middle of the page; the page's own layout is untouched.
  const CSS = `
    :host { all: initial; }
    .hint { position: fixed; right: 12px; bottom: 12px; z-index: 2147483646; max-width: 320px; box-sizing: border-box;
      padding: 8px 10px; background: #fff8c5; color: #1f2328; border: 1px solid #d4a72c; border-radius: 8px;
      box-shadow: 0 2px 8px rgba(0,0,0,.2);
      font: 12.5px/1.4 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; }
    p { margin: 0 18px 6px 0; }
    .row { display: flex; flex-wrap: wrap; gap: 6px; }
    button { font: inherit; cursor: pointer; border: 1px solid #d0d7de; background: #fff; color: #1f2328;
      border-radius: 6px; padding: 2px 8px; }
    .close { position: absolute; top: 4px; right: 4px; border: 0; background: none; padding: 0 4px; font-size: 15px; }
    button:focus-visible { outline: 3px solid #ffbf47; outline-offset: 1px; }`;

  // After each answer of the service: is this the page whose feed the proxy did not see?
  function check() {
    if (!state.config) return;
    const counts = C.unseen.count(state.entries.values());
    if (!C.unseen.shouldHint(counts, {shown, dismissed: Boolean(state.config.hintDismissed)})) return;
    shown = true;
    show();
  }

  function button(label, className, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = label;
    b.addEventListener("click", safe((event) => event.isTrusted && onClick()));  // real clicks only
    return b;
  }

  function show() {
    host = document.createElement("feedlens-hint");
    const root = host.attachShadow({mode: "closed"});
    const box = document.createElement("div");
    box.className = "hint";
    box.setAttribute("role", "status");
    const text = document.createElement("p");
    text.textContent = t("hintUnseen");
    const row = document.createElement("div");
    row.className = "row";
    row.append(button(t("hintFix"), "fix", () => send("welcome-open")),
      button(t("hintDismiss"), "dismiss", async () => {
        remove();
        await send("hint-dismiss");
      }));
    const close = button("×", "close", remove);
    close.setAttribute("aria-label", t("hintClose"));
    close.title = t("hintClose");
    box.append(text, row, close);
    const style = document.createElement("style");
    style.textContent = CSS;
    root.append(style, box);
    document.documentElement.append(host);
  }

  function remove() {
    host?.remove();
    host = null;
  }

  // The hover (title) and accessible description of a badge: why there is no proxy badge.
  function explainBadge(badge, entry, decision) {
    const key = C.unseen.whyNoBadge(entry, decision);
    if (key) badge.title = t(key);
    else badge.removeAttribute("title");
  }

  return {check, explainBadge};
})();
