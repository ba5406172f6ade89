// Pairing: the service address and a one-time code from `feedlens pair` (or the token itself).
// The token is stored by the background worker in storage.local and never shown here.
"use strict";

const {browser, t, translatePage, ready, pickedLanguage, pickLanguage} = globalThis.feedlensShared;
const $ = (id) => document.getElementById(id);
const call = (type, data = {}) => browser.runtime.sendMessage({type, ...data});

async function refresh() {
  await ready;  // a picked language first, so the status is in it
  const reply = await call("settings");
  if (!reply.ok) return;
  // A slow first answer (the worker was starting) must not overwrite what the user typed.
  if (!$("url").dataset.edited) $("url").value = reply.data.url;
  $("status").textContent = reply.data.paired ? t("optionsPaired", reply.data.url) : t("optionsNotPaired");
  $("status").className = reply.data.paired ? "ok" : "";
  $("unpair").hidden = !reply.data.paired;
}

$("pair-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const done = await globalThis.feedlensPairing.pair($("url").value, $("code").value);  // pairing.js
  if (!done.ok) {
    $("status").textContent = done.text;
    $("status").className = "bad";
    return;
  }
  $("code").value = "";
  await refresh();
  await globalThis.feedlensPairing.showAccess($("url"));
});

$("unpair").addEventListener("click", async () => {
  await call("unpair");
  await refresh();
});

$("url").addEventListener("input", () => ($("url").dataset.edited = "1"));

// Screenshots for report evidence: browsers allow tabs.captureVisibleTab only with access to all
// sites, so it is an optional permission the user grants (or takes back) here.
const ALL_SITES = {origins: ["<all_urls>"]};

async function showScreenshots() {
  $("screenshots").checked = await browser.permissions.contains(ALL_SITES).catch(() => false);
}

$("screenshots").addEventListener("change", async (event) => {
  if (event.target.checked) await browser.permissions.request(ALL_SITES).catch(() => false);
  else await browser.permissions.remove(ALL_SITES).catch(() => false);
  await showScreenshots();
});

// The extension pages' language: kept by shared.js for every page, applied by reloading.
$("language").value = pickedLanguage();
$("language").addEventListener("change", (event) => {
  pickLanguage(event.target.value);
  location.reload();
});

translatePage();
refresh();
showScreenshots();
globalThis.feedlensPairing.watchAccess($("url"));  // the site-access notice, when access is missing
