// The only part of the extension that holds the token and talks to the feedlens service.
// Content scripts and pages send it messages; it answers with data, never with the token.
"use strict";

// Chromium runs this file alone as the service worker; Firefox loads the manifest's scripts list.
if (typeof importScripts === "function" && !globalThis.feedlensSites) {
  importScripts("compat.js", "generated/platforms.js", "sites.js", "choice-notify.js", "choice-watch.js");
}

const {browser} = globalThis.feedlensCompat;
const DEFAULT_URL = "http://127.0.0.1:8787";
const TIMEOUT_MS = 4000;
const REPORT_TIMEOUT_MS = 30_000;  // a new report carries its screenshot; the service stores it first
const MAX_MARK_IDS = 200;  // the service's per-request limit
const CACHE_MS = {dom: 60_000, state: 10_000};

class ServiceError extends Error {
  constructor(code, message, status = 0) {
    super(message || code);
    this.code = code;  // offline | unpaired | refused
    this.status = status;
  }
}

async function settings() {
  const {serviceUrl, token} = await browser.storage.local.get(["serviceUrl", "token"]);
  return {url: (serviceUrl || DEFAULT_URL).replace(/\/+$/, ""), token};
}

async function api(path, {method = "GET", body, token: given, url: givenUrl, timeout = TIMEOUT_MS} = {}) {
  const saved = await settings();
  const url = givenUrl || saved.url;
  const token = given === undefined ? saved.token : given;
  if (token === undefined || token === "") throw new ServiceError("unpaired", "not paired");
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers["Content-Type"] = "application/json";
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout);
  let response;
  try {
    response = await fetch(url + path, {method, headers, body: body && JSON.stringify(body),
      signal: abort.signal, cache: "no-store", credentials: "omit"});
  } catch (err) {
    throw new ServiceError("offline", `${url}: ${err.message || err}`);
  } finally {
    clearTimeout(timer);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    // 403 extension_not_paired: the service now accepts another extension (it paired later).
    const unpaired = response.status === 401 || data.code === "extension_not_paired";
    const code = unpaired ? "unpaired" : "refused";
    throw new ServiceError(code, data.error || `HTTP ${response.status}`, response.status);
  }
  return data;
}

// ---- small caches (the service worker may be stopped at any time; they just refill) ---------

const cache = new Map();

async function cached(key, ttl, load) {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.time < ttl) return hit.value;
  const value = await load();
  cache.set(key, {time: Date.now(), value});
  return value;
}

const forget = () => cache.clear();

async function pageConfig(host) {
  const dom = await cached("dom", CACHE_MS.dom, () => api("/api/rules/dom"));
  const platform = globalThis.feedlensSites.platformFor(host, dom.platforms || {});
  if (!platform) return {platform: null};
  const seen = new Set();
  const specs = [];
  for (const endpoint of dom.platforms[platform].endpoints) {
    const key = JSON.stringify(endpoint.dom);
    if (!seen.has(key)) {
      seen.add(key);
      specs.push(endpoint.dom);
    }
  }
  const state = await cached("state", CACHE_MS.state, () => api("/api/extension/state"));
  return {platform, specs, rules: state.page_rules || [], pausedUntil: state.paused_until,
    hintDismissed: await hintDismissed(host)};
}

// ---- first run: the welcome page, its status, the unseen-feed hint's dismissals ---------------

const WELCOME = "welcome.html";

async function hintDismissed(host) {
  const {hintDismissed: sites = {}} = await browser.storage.local.get("hintDismissed");
  return Boolean(sites[globalThis.feedlensSites.site(host)]);
}

async function dismissHint(host) {
  const {hintDismissed: sites = {}} = await browser.storage.local.get("hintDismissed");
  sites[globalThis.feedlensSites.site(host)] = Math.floor(Date.now() / 1000);
  await browser.storage.local.set({hintDismissed: sites});
  return {};
}

// The welcome page's live status: reachable (health answers without a token), paired, and the
// popup's health chips once paired.
async function welcomeState() {
  const {url, token} = await settings();
  const reachable = await api("/api/health", {token: null}).then(() => true,
    (err) => err.code !== "offline");
  if (!reachable || !token) return {url, reachable, paired: false, health: null};
  try {
    return {url, reachable, paired: true, health: (await popupState(null)).health};
  } catch (err) {
    return {url, reachable: err.code !== "offline", paired: err.code !== "unpaired", health: null};
  }
}

async function marks(platform, ids) {
  const out = {};
  for (let i = 0; i < ids.length; i += MAX_MARK_IDS) {
    const chunk = ids.slice(i, i + MAX_MARK_IDS).map(encodeURIComponent).join(",");
    const data = await api(`/api/marks?platform=${encodeURIComponent(platform)}&ids=${chunk}`);
    Object.assign(out, data.marks);
  }
  return out;
}

// What the popup shows: health, the profile and switches, the composition of the tab's feed.
async function popupState(page) {
  const [health, state] = await Promise.all([api("/api/health"), api("/api/extension/state")]);
  let composition = null;
  if (page && page.platform) {
    const query = `platform=${encodeURIComponent(page.platform)}&since=${page.since}&limit=500`;
    const items = [];
    let before = null;
    for (let pages = 0; pages < 20; pages += 1) {  // at most 10,000 rows: a very long session
      const data = await api(`/api/items?${query}${before ? `&before_id=${before}` : ""}`);
      items.push(...data.items);
      before = data.next_before_id;
      if (!before) break;
    }
    composition = {platform: page.platform, total: items.length, counts: {}, hidden: {}};
    for (const row of items) {
      composition.counts[row.provenance] = (composition.counts[row.provenance] || 0) + 1;
      if (row.decision === "hide") composition.hidden[row.provenance] = (composition.hidden[row.provenance] || 0) + 1;
    }
  }
  const lastFeed = page && page.platform ? (health.last_feed || {})[page.platform] : null;
  return {
    health: {paired: true, version: health.version,
      proxySeen: page && page.platform ? Boolean(lastFeed && lastFeed >= page.since) : (health.counters || {}).feed_responses > 0,
      caTrusted: (health.interception || {}).ca_trusted ?? null},
    state, composition, dashboard: `${(await settings()).url}/`,
  };
}

async function pair(url, code) {
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$/.test(url)) {
    throw new ServiceError("refused", "bad-url");
  }
  const secret = code.trim();
  // A token (from the data directory) is long; a pairing code is 8 letters and digits.
  // Either way /api/pair records this extension as the one the service accepts.
  const isToken = secret.replace(/[^A-Za-z0-9]/g, "").length > 16;
  const token = (await api("/api/pair", isToken
    ? {method: "POST", body: {}, url, token: secret}
    : {method: "POST", body: {code: secret}, url, token: null})).token;
  await browser.storage.local.set({serviceUrl: url, token});
  forget();
  return {url};
}

// ---- reports: store first (service), then send from the platform's page (content script) -----

// The language of the strings the user sees: the catalogue the browser picked, which can differ
// from getUILanguage() (headless Chromium with --lang=zh-CN: UI en-US, catalogue zh_CN).
const uiLanguage = () => (browser.i18n.getMessage("language") === "zh" ? "zh" : "en");

function reportChoices(platform, kind) {
  const query = new URLSearchParams({platform, lang: uiLanguage()});
  if (kind) query.set("kind", kind);
  return api(`/api/reports/choices?${query}`);
}

// Browsers allow this only with access to all sites (an optional permission the user may grant
// in the options page); without it the report goes without a screenshot.
async function captureTab(tab) {
  if (!tab || !tab.active) return null;
  try {
    return await browser.tabs.captureVisibleTab(tab.windowId, {format: "png"});
  } catch {
    return null;
  }
}

async function submitReport(m, sender) {
  const body = {platform: String(m.platform || ""), item_id: String(m.item_id || ""),
    kind: String(m.kind || ""), category: String(m.category || ""),
    description: String(m.description || ""), page_url: sender.url || sender.tab?.url || "",
    client_request_id: String(m.client_request_id || "")};
  if (typeof m.screenshot === "string" && m.screenshot.startsWith("data:image/")) body.screenshot = m.screenshot;
  if (m.target && typeof m.target === "object") body.target = m.target;
  const created = await api("/api/reports", {method: "POST", body, timeout: REPORT_TIMEOUT_MS});
  return sendReport(created, sender.tab.id, sender.frameId || 0);
}

// The service handed out a prepared request: the page sends it once, the service reads the answer.
async function sendReport({report, request}, tabId, frameId) {
  if (!request || request.mode !== "api" || report.status !== "stored") return {report, request};
  const outcome = await sendFromPage(tabId, frameId, request);
  const done = await api(`/api/reports/${report.id}/result`, {method: "POST", body: outcome});
  return {report: done.report};
}

async function sendFromPage(tabId, frameId, request) {
  try {
    const answer = await browser.tabs.sendMessage(tabId, {type: "report-send", request}, {frameId});
    if (answer && Number.isInteger(answer.http_status)) return answer;
    return {http_status: 0, body: "", error: "the page gave no answer"};
  } catch (err) {
    return {http_status: 0, body: "", error: `the page is gone: ${err.message || err}`};
  }
}

// A tab showing this platform, found by asking our content scripts (no "tabs" permission).
async function platformTab(platform) {
  const tabs = await browser.tabs.query({});
  tabs.sort((a, b) => Number(b.active) - Number(a.active));
  for (const tab of tabs) {
    try {
      const hello = await browser.tabs.sendMessage(tab.id, {type: "report-hello"}, {frameId: 0});
      if (hello && hello.platform === platform) return tab;
    } catch { /* no content script in that tab */ }
  }
  return null;
}

async function retryReport(id) {
  const {report} = await api(`/api/reports/${id}`);
  const tab = await platformTab(report.platform);
  if (!tab) throw new ServiceError("no-tab", report.platform);
  const again = await api(`/api/reports/${id}/retry`, {method: "POST"});
  return sendReport(again, tab.id, 0);
}

async function openTab(url, near) {
  const place = near ? {openerTabId: near.id, index: near.index + 1} : {};
  await browser.tabs.create({url, ...place});
  return {opened: true};
}

// ---- messages ---------------------------------------------------------------------------------

const fromPage = {  // content scripts on feed pages may ask for these
  "page-config": (m) => pageConfig(String(m.host || "")),
  marks: (m) => marks(String(m.platform), (m.ids || []).map(String)),
  act: async (m) => {
    const body = {kind: m.kind, platform: m.platform};
    for (const key of ["author_id", "author", "keyword"]) if (m[key]) body[key] = String(m[key]);
    const result = await api("/api/extension/rules", {method: "POST", body});
    forget();
    return result;
  },
  undo: async (m) => {
    const result = await api("/api/extension/undo", {method: "POST", body: {id: String(m.id)}});
    forget();
    return result;
  },
  "report-choices": (m) => reportChoices(String(m.platform || ""), String(m.kind || "")),
  "report-capture": async (m, sender) => ({screenshot: await captureTab(sender.tab)}),
  "report-submit": (m, sender) => submitReport(m, sender),
  "report-open": async (m, sender) => {
    const url = new URL(String(m.url || ""));  // the platform's report page, never anything else
    if (url.protocol !== "https:") throw new ServiceError("refused", "not an https address");
    return openTab(url.href, sender.tab);
  },
  "report-history": (m, sender) => openTab(browser.runtime.getURL("report.html"), sender.tab),
  "hint-dismiss": (m, sender) => dismissHint(new URL(sender.url || sender.tab?.url || "").hostname),
  "welcome-open": (m, sender) => openTab(browser.runtime.getURL(`${WELCOME}#proxy`), sender.tab),
};

// A one-time login code, never the token: the URL stays in the browser's history.
// /?code= sets the dashboard's cookie and redirects to a clean / (or `path`, e.g. /choices).
async function openDashboard(path = "/") {
  const {url, token} = await settings();
  const code = token
    ? await api("/api/login-link", {method: "POST"}).then((d) => d.code, () => null)
    : null;
  await browser.tabs.create({url: globalThis.feedlensChoiceNotify.dashboardUrl(url, code, path)});
  return {};
}

const fromExtension = {  // only the extension's own pages (popup, options, report history)
  "reports-list": (m) => {
    const query = new URLSearchParams({limit: String(Math.min(Number(m.limit) || 100, 500))});
    if (m.status) query.set("status", String(m.status));
    return api(`/api/reports?${query}`);
  },
  "report-retry": (m) => retryReport(Number(m.id) | 0),
  "report-manual-open": async (m, sender) => {  // the list has no request: read the report's
    const {request} = await api(`/api/reports/${Number(m.id) | 0}`);
    const url = new URL(String(request?.manual_url || ""));
    if (url.protocol !== "https:") throw new ServiceError("refused", "not an https address");
    return openTab(url.href, sender.tab);
  },
  "popup-state": (m) => popupState(m.page),
  choices: (m) => api(`/api/choices?${new URLSearchParams(m.platform ? {platform: String(m.platform)} : {host: String(m.host || "")})}`),
  "welcome-state": () => welcomeState(),
  switch: async (m) => {
    forget();
    return api("/api/extension/switch", {method: "POST", body: {name: m.name, on: Boolean(m.on)}});
  },
  pause: async (m) => {
    forget();
    return api("/api/extension/pause", {method: "POST", body: {minutes: Number(m.minutes) | 0}});
  },
  settings: async () => {
    const {url, token} = await settings();
    return {url, paired: Boolean(token)};
  },
  pair: (m) => pair(String(m.url || "").replace(/\/+$/, ""), String(m.code || "")),
  unpair: async () => {
    await browser.storage.local.remove("token");
    forget();
    return {};
  },
  dashboard: () => openDashboard(),
  ...fromPage,
};

browser.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id !== browser.runtime.id || !message || typeof message.type !== "string") return false;
  // Content scripts report the page's URL; the popup and options pages report ours.
  const ownPage = typeof sender.url === "string" && sender.url.startsWith(browser.runtime.getURL(""));
  const handlers = ownPage ? fromExtension : fromPage;
  if (!Object.hasOwn(handlers, message.type)) return false;
  handlers[message.type](message, sender).then(
    (data) => sendResponse({ok: true, data}),
    (err) => sendResponse({ok: false, error: err.code || "error", message: err.message, status: err.status || 0}),
  );
  return true;  // answer asynchronously
});

browser.storage.onChanged.addListener(forget);

// A new install opens the welcome page (not an update or a browser update).
browser.runtime.onInstalled.addListener(({reason}) => {
  if (reason === "install") browser.tabs.create({url: browser.runtime.getURL(WELCOME)});
});
