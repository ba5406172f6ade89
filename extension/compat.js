// Where Chromium and Firefox differ, in one place. Loaded first by the background, the content
// scripts and every extension page; also in node (tests/js), where there is no browser at all.
"use strict";

globalThis.feedlensCompat ??= (() => {
  // Firefox has the promise-based `browser.*`; Chromium's MV3 `chrome.*` returns promises too for
  // every call we make, so one name serves both.
  const browser = globalThis.browser ?? globalThis.chrome;
  // Only Firefox has runtime.getBrowserInfo: the welcome page shows its set-up steps first.
  const firefox = typeof browser?.runtime?.getBrowserInfo === "function";
  // chrome-extension://<id>/… or moz-extension://<uuid>/…: one of our own pages, not a web page.
  const extensionPage = /^(chrome|moz)-extension:$/.test(globalThis.location?.protocol ?? "");

  // The sites the extension needs: its feedlens service on this computer and, in Firefox, the
  // feed pages its content scripts run on. Firefox shows them at install and lets the user take
  // them back in about:addons; then only a request from a click in our pages gives them back.
  // Chromium grants content-script hosts outside the permissions API (contains() says false for
  // them though they run), so there only the service's origin is asked about.
  function neededOrigins(serviceHost = "127.0.0.1") {
    const service = `http://${serviceHost}/*`;
    if (!firefox) return [service];
    return [service, ...browser.runtime.getManifest().content_scripts.flatMap((script) => script.matches)];
  }

  const hasHostAccess = (origins) => browser.permissions.contains({origins}).catch(() => false);

  // Call only from a click handler, before any await (Firefox prompts only then).
  const requestHostAccess = (origins) => browser.permissions.request({origins}).catch(() => false);

  // Before pairing: Firefox asks (granted ones resolve at once, without a prompt); Chromium
  // granted the manifest's hosts at install and is only asked when the user withheld them.
  const ensureHostAccess = (origins) => (firefox ? requestHostAccess(origins) : hasHostAccess(origins));

  // Markup this extension wrote itself (its icons, styles, a badge's skeleton) as nodes, parsed
  // by DOMParser rather than assigned to innerHTML: AMO's review flags every innerHTML
  // assignment, and nothing from a page or a response ever comes through here.
  function markup(html) {
    const parsed = new DOMParser().parseFromString(html, "text/html");
    const fragment = document.createDocumentFragment();
    fragment.append(...parsed.head.childNodes, ...parsed.body.childNodes);
    return fragment;
  }

  return {browser, firefox, extensionPage, neededOrigins, hasHostAccess, requestHostAccess, ensureHostAccess,
          markup};
})();
