// Pairing with the feedlens service, for the extension's pages (options and welcome): the
// address and a one-time code from `feedlens pair` (or the token itself) go to the background
// worker, which stores the token; no page ever sees it.
"use strict";

globalThis.feedlensPairing ??= (() => {
  const {browser, t} = globalThis.feedlensShared;
  const compat = globalThis.feedlensCompat;
  const LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"];
  const call = (type, data = {}) => browser.runtime.sendMessage({type, ...data});

  // The service only listens on this computer: refuse anything else before asking.
  function serviceOrigin(text) {
    let parsed;
    try {
      parsed = new URL(String(text || "").trim().replace(/\/+$/, ""));
    } catch {
      return null;
    }
    return parsed.protocol === "http:" && LOCAL_HOSTS.includes(parsed.hostname) ? parsed : null;
  }

  // The origins the extension needs (compat.js), asked first thing in the click, before any
  // await, or Firefox refuses to prompt.
  const originsFor = (parsed) => compat.neededOrigins(parsed ? parsed.hostname : undefined);
  const permitted = (parsed) => compat.ensureHostAccess(originsFor(parsed));

  // The access notice of the options and welcome pages (#access): shown while the browser
  // withholds a site we need; its button asks for them again.
  async function showAccess(urlInput) {
    document.getElementById("access").hidden = await compat.hasHostAccess(originsFor(serviceOrigin(urlInput.value)));
  }

  function watchAccess(urlInput) {
    document.getElementById("grant-access").addEventListener("click", async () => {
      await compat.requestHostAccess(originsFor(serviceOrigin(urlInput.value)));
      await showAccess(urlInput);
    });
    return showAccess(urlInput);
  }

  // Call from the submit handler (the permission prompt needs the user's click).
  // Returns {ok: true, url} or {ok: false, text} (what to tell the user).
  async function pair(urlText, code) {
    const parsed = serviceOrigin(urlText);
    if (!parsed) return {ok: false, text: t("optionsBadUrl")};
    if (!(await permitted(parsed))) return {ok: false, text: t("optionsNoPermission")};
    const reply = await call("pair", {url: parsed.origin, code: String(code || "")});
    if (reply.ok) return {ok: true, url: parsed.origin};
    return {ok: false, text: t("optionsFailed", failureReason(reply, parsed.origin))};
  }

  // Why pairing failed, in the page's language. The service refuses every bad code with 403 (its
  // text follows the browser's language, which the user may have overridden in the options).
  function failureReason(reply, origin) {
    if (reply.message === "bad-url") return t("optionsBadUrl");
    if (reply.error === "offline") return t("popupOffline", origin);
    if (reply.status === 403) return t("optionsBadCode");
    return reply.message;
  }

  return {pair, serviceOrigin, call, watchAccess, showAccess};
})();
