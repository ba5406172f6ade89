// The toolbar popup: connection health, the tab's feed composition, profile and quick switches.
"use strict";

const {browser, PROVENANCE, ORDER, icon, t, label, translatePage} = globalThis.feedlensShared;
const $ = (id) => document.getElementById(id);
const PAUSE_MINUTES = 15;
let tabId = null;

// popup.html?tab=ID shows another tab (handy when the popup is opened as a page).
async function currentTab() {
  const given = new URLSearchParams(location.search).get("tab");
  if (given) return Number(given);
  const [tab] = await browser.tabs.query({active: true, currentWindow: true});
  return tab ? tab.id : null;
}

async function askTab(message) {
  try {
    return await browser.tabs.sendMessage(tabId, message);
  } catch {
    return null;  // no content script there: not a supported page
  }
}

const call = (type, data = {}) => browser.runtime.sendMessage({type, ...data});

function chip(ok, text) {
  const li = document.createElement("li");
  li.className = ok === true ? "ok" : ok === false ? "bad" : "unknown";
  li.textContent = `${ok === true ? "✓" : ok === false ? "✗" : "?"} ${text}`;
  return li;
}

function showProblem(reply, url) {
  const problem = $("problem");
  problem.hidden = false;
  problem.textContent = reply.error === "offline" ? t("popupOffline", url) : reply.error === "unpaired"
    ? t("popupUnpaired") : t("popupError", reply.message || reply.error);
  $("pair-now-row").hidden = reply.error !== "unpaired";  // the one thing to do next
}

// The welcome page's pairing step (its instructions and form), in a tab of its own.
async function pairNow() {
  await browser.tabs.create({url: browser.runtime.getURL("welcome.html#pair")});
  window.close();
}

function renderComposition(composition) {
  $("page").hidden = false;
  $("page-title").textContent = t("popupPage", composition.total);
  const bar = $("bar");
  const legend = $("legend");
  bar.replaceChildren();
  legend.replaceChildren();
  const described = [];
  for (const kind of ORDER) {
    const count = composition.counts[kind] || 0;
    if (!count) continue;
    const meta = PROVENANCE[kind];
    const part = document.createElement("span");
    part.style.cssText = `flex:${count};background:${meta.color}`;
    bar.append(part);
    const li = document.createElement("li");
    li.dataset.provenance = kind;
    li.dataset.count = String(count);
    li.style.setProperty("--c", meta.color);
    const hidden = composition.hidden[kind] || 0;
    li.append(globalThis.feedlensCompat.markup(`<span class="swatch">${icon(kind, 12)}</span>`));
    li.append(`${label(kind)} ${count}`);
    if (hidden) {
      const small = document.createElement("small");
      small.textContent = ` (${t("popupHidden", hidden)})`;
      li.append(small);
    }
    legend.append(li);
    described.push(`${label(kind)} ${count}`);
  }
  bar.setAttribute("aria-label", described.join(", "));
}

function renderControls(state) {
  $("controls").hidden = false;
  $("profile-name").textContent = state.title ? `${state.title} (${state.target})` : state.target;
  $("locked").hidden = !state.locked;
  const paused = Boolean(state.paused_until);
  for (const [name, info] of Object.entries(state.switches)) {
    const box = $(`switch-${name}`);
    box.checked = info.on;
    box.disabled = state.locked || paused || !info.available;
  }
  const pause = $("switch-pause");
  pause.checked = paused;
  pause.disabled = state.locked;
  $("pause-label").textContent = paused
    ? t("popupPausedUntil", new Date(state.paused_until * 1000).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}))
    : t("switchPause");
}

async function load() {
  tabId = await currentTab();
  const page = tabId === null ? null : await askTab({type: "composition"});
  const settings = await call("settings");
  const reply = await call("popup-state", {page: page && page.platform ? {platform: page.platform, since: page.since} : null});
  const health = $("health");
  health.replaceChildren();
  if (!reply.ok) {
    showProblem(reply, settings.data.url);
    return;
  }
  $("problem").hidden = true;
  const {health: h, state, composition} = reply.data;
  health.append(chip(true, t("popupPaired")),
    chip(h.proxySeen, h.proxySeen ? t("popupProxySeen") : t("popupProxyNotSeen")),
    chip(h.caTrusted, h.caTrusted === true ? t("popupCaTrusted") : h.caTrusted === false ? t("popupCaNotTrusted") : t("popupCaUnknown")));
  if (composition) renderComposition(composition);
  $("no-page").hidden = Boolean(composition);
  renderControls(state);
  if (page && page.platform) await renderChoice(page.platform);
}

// "Personalised recommendations: off (verified HH:MM)" or turned back on / suspected (/api/choices).
async function renderChoice(platform) {
  const reply = await call("choices", {platform});
  const line = reply.ok ? globalThis.feedlensChoice.describe(reply.data, t) : null;
  const box = $("choice");
  box.hidden = !line;
  if (!line) return;
  box.dataset.status = line.status;
  box.className = `choice ${line.status === "reverted" ? "bad" : line.status === "honoured" ? "ok" : "unknown"}`;
  box.textContent = line.hiding ? `${line.text} · ${t("popupChoiceHiding")}` : line.text;
}

let latestChange = 0;

async function change(type, data) {
  const mine = ++latestChange;
  const reply = await call(type, data);
  // A slower reply to an earlier click must not undo the boxes of a later one.
  if (mine !== latestChange) return;
  if (!reply.ok) showProblem(reply, "");
  else renderControls(reply.data);
  if (tabId !== null) await askTab({type: "refresh"});  // the page picks up the new rules
}

for (const name of ["hide_personalized", "chronological"]) {
  $(`switch-${name}`).addEventListener("change", (event) => change("switch", {name, on: event.target.checked}));
}
$("switch-pause").addEventListener("change", (event) => change("pause", {minutes: event.target.checked ? PAUSE_MINUTES : 0}));
$("dashboard").addEventListener("click", () => call("dashboard"));
$("settings").addEventListener("click", () => browser.runtime.openOptionsPage());
$("pair-now").addEventListener("click", () => pairNow());

translatePage();
load().catch((err) => showProblem({error: "error", message: String(err)}, ""));
