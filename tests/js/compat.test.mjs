// compat.js: the one place where Chromium and Firefox differ, with fake browser objects.
import test from "node:test";
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import vm from "node:vm";
import {EXTENSION, load, plain} from "./load.mjs";

const MATCHES = ["https://*.bilibili.com/*", "https://x.com/*"];

function compatWith(globals) {
  const context = vm.createContext({console, ...globals});
  vm.runInContext(readFileSync(new URL("compat.js", EXTENSION), "utf8"), context);
  return context.feedlensCompat;
}

const runtime = (extra = {}) => ({getManifest: () => ({content_scripts: [{matches: MATCHES}]}), ...extra});

test("node has no browser: compat.js still loads, as the pure modules' tests need", () => {
  const compat = load("compat.js").feedlensCompat;
  assert.equal(compat.browser, undefined);
  assert.equal(compat.firefox, false);
  assert.equal(compat.extensionPage, false);
});

test("Firefox (browser.* with getBrowserInfo): the service and the feed pages are needed and asked for", async () => {
  const asked = [];
  const browser = {runtime: runtime({getBrowserInfo: () => ({})}),
    permissions: {request: async (p) => (asked.push(plain(p)), true), contains: async () => false}};
  const compat = compatWith({browser, location: {protocol: "moz-extension:"}});
  assert.equal(compat.firefox, true);
  assert.equal(compat.extensionPage, true);
  assert.deepEqual(plain(compat.neededOrigins("localhost")), ["http://localhost/*", ...MATCHES]);
  assert.equal(await compat.ensureHostAccess(compat.neededOrigins()), true);
  assert.deepEqual(asked, [{origins: ["http://127.0.0.1/*", ...MATCHES]}]);
});

test("Chromium (chrome.*): only the service's origin, checked and never prompted for when pairing", async () => {
  const chrome = {runtime: runtime(),
    permissions: {request: async () => assert.fail("no prompt"), contains: async ({origins}) => origins.length === 1}};
  const compat = compatWith({chrome, location: {protocol: "chrome-extension:"}});
  assert.equal(compat.firefox, false);
  assert.deepEqual(plain(compat.neededOrigins()), ["http://127.0.0.1/*"]);
  assert.equal(await compat.ensureHostAccess(compat.neededOrigins()), true);
});

test("a refused request is false, not an exception", async () => {
  const browser = {runtime: runtime({getBrowserInfo: () => ({})}),
    permissions: {request: async () => { throw new Error("not from a user action"); }}};
  assert.equal(await compatWith({browser}).requestHostAccess(["http://127.0.0.1/*"]), false);
});
