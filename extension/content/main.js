// Starting on the page: ask the background for this host's platform, specs and rules, watch the
// DOM for items, and answer the popup and the background. Listed last in manifest.json.
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.main ??= (() => {
  const C = globalThis.feedlensContent;
  const {state, safe, send} = C.core;
  const {browser} = globalThis.feedlensShared;
  const {watchedAttributes, readsText, anyItemSelector} = C.ids;
  const reporting = globalThis.feedlensReport;
  const CONFIG_RETRY_MS = 30_000;
  let observer = null;

  browser.runtime.onMessage.addListener(safe((message, sender, sendResponse) => {
    if (sender.id !== browser.runtime.id || !message) return false;
    if (message.type === "composition") {
      sendResponse(composition());
    } else if (message.type === "refresh") {
      boot().then(() => sendResponse({ok: true}));
      return true;
    } else if (message.type === "report-hello") {  // which platform is this tab? (for retries)
      sendResponse({platform: state.config?.platform || null});
    } else if (message.type === "report-send") {   // the background hands us a prepared report
      reporting.send(message.request || {}).then(sendResponse);
      return true;
    }
    return false;
  }));

  // What the popup shows: how many items of each provenance are on the page now.
  function composition() {
    const onPage = {};
    for (const entry of state.entries.values()) {
      const kind = entry.mark ? entry.mark.provenance : null;
      if (kind && entry.el.isConnected) onPage[kind] = (onPage[kind] || 0) + 1;
    }
    return {platform: state.config?.platform || null, since: performance.timeOrigin / 1000, onPage};
  }

  const boot = safe(async () => {
    const reply = await send("page-config", {host: location.hostname});
    if (!reply.ok) {
      if (reply.error === "offline") setTimeout(boot, CONFIG_RETRY_MS);  // it may come up later
      return;
    }
    if (!reply.data.platform) return;
    const specs = reply.data.specs.map(C.scan.compile).filter(Boolean);
    state.config = {...reply.data, specs, anyItem: anyItemSelector(specs)};
    if (!observer) observe(specs);
    C.badges.updateAll();
    C.scan.rearm();
    C.scan.queueScan();
  });

  function observe(specs) {
    observer = new MutationObserver(safe((records) => {
      if (records.some((r) => !ours(r))) C.scan.queueScan();
    }));
    observer.observe(document.documentElement, {childList: true, subtree: true, attributes: true,
      attributeFilter: watchedAttributes(specs), characterData: specs.some(readsText)});
  }

  // Our own badges and attributes must not wake the observer again.
  function ours(record) {
    if (record.type !== "childList") return false;
    const nodes = [...record.addedNodes, ...record.removedNodes];
    return nodes.length > 0 && nodes.every((n) => n.nodeName.startsWith("FEEDLENS-"));
  }

  boot();
  return {boot};
})();
