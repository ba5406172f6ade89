// The first-run page (opened on install, and by "Pair now" in the popup): run feedlens and
// send the browser through it, pair with a code from `feedlens pair`, then a live status.
"use strict";

const {browser, t, translatePage} = globalThis.feedlensShared;
const {pair, call, watchAccess, showAccess} = globalThis.feedlensPairing;
const $ = (id) => document.getElementById(id);
const CHECK_MS = 3000;  // the status is live: it follows `feedlens run` starting and stopping

function chip(ok, text, name) {
  const li = document.createElement("li");
  li.className = ok === true ? "ok" : ok === false ? "bad" : "unknown";
  li.dataset.check = name;
  li.textContent = `${ok === true ? "✓" : ok === false ? "✗" : "?"} ${text}`;
  return li;
}

// The same health chips as the popup, from the same background computation.
function chips(s) {
  const out = [chip(s.reachable, t(s.reachable ? "welcomeReachable" : "welcomeUnreachable", s.url), "reachable"),
    chip(s.paired, s.paired ? t("popupPaired") : t("welcomeNotPaired"), "paired")];
  if (s.health) {
    const h = s.health;
    out.push(chip(h.proxySeen, h.proxySeen ? t("popupProxySeen") : t("popupProxyNotSeen"), "proxy"),
      chip(h.caTrusted, h.caTrusted === true ? t("popupCaTrusted") : h.caTrusted === false
        ? t("popupCaNotTrusted") : t("popupCaUnknown"), "ca"));
  }
  return out;
}

async function showStatus() {
  const reply = await call("welcome-state");
  if (!reply.ok) return;
  const s = reply.data;
  if (!$("url").dataset.edited) $("url").value = s.url;
  $("health").replaceChildren(...chips(s));
  $("done").hidden = !(s.paired && s.health?.proxySeen);
}

$("pair-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const done = await pair($("url").value, $("code").value);
  $("pair-status").textContent = done.ok ? t("optionsPaired", done.url) : done.text;
  $("pair-status").className = done.ok ? "ok" : "bad";
  if (done.ok) $("code").value = "";
  await showAccess($("url"));
  await showStatus();
});

$("url").addEventListener("input", () => ($("url").dataset.edited = "1"));
$("recheck").addEventListener("click", () => showStatus());

// This browser's instructions first; the other's stay below.
function orderBrowsers() {
  const mine = $(globalThis.feedlensCompat.firefox ? "browser-firefox" : "browser-chromium");
  mine.classList.add("current");
  $("browsers").prepend(mine);
}

translatePage();
orderBrowsers();
watchAccess($("url"));  // the site-access notice, when access is missing
if (location.hash === "#pair") $("code").focus();
showStatus();
setInterval(showStatus, CHECK_MS);
