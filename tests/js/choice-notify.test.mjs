import assert from "node:assert/strict";
import {test} from "node:test";
import {load, plain} from "./load.mjs";

const {check, platformName, FIRST_WINDOW_S} = load("choice-notify.js").feedlensChoiceNotify;
const now = 1_800_000_000;
const revert = (id, time, sure = "confirmed") => ({id, time, sure, epoch: 1, reason: "two_on", evidence: []});
const track = (platform, reverts, device = "127.0.0.1") => ({platform, device, status: "reverted", reverts});
const answer = (...tracks) => ({choices: tracks, now});

test("first check: only a revert from the last half hour is news; the mark is set", () => {
  const data = answer(track("bilibili", [revert(2, now - 60)]), track("reddit", [revert(1, now - FIRST_WINDOW_S - 1)]));
  const {alerts, mark} = check(data, null);
  assert.deepEqual(plain(alerts), [{platform: "bilibili", count: 1, time: now - 60}]);
  assert.deepEqual(plain(mark), {id: 2, time: now - 60});
});

test("first check with nothing recorded: no alert, and the next revert is news", () => {
  const first = check(answer(), null);
  assert.deepEqual(plain(first), {alerts: [], mark: {id: 0, time: now}});
  const later = check(answer(track("x", [revert(1, now - 5 * 3600)])), first.mark);
  assert.deepEqual(plain(later.alerts), [{platform: "x", count: 1, time: now - 5 * 3600}]);
});

test("only reverts newer than the mark, one alert per platform over its devices", () => {
  const data = answer(
    track("bilibili", [revert(7, now - 10), revert(4, now - 500)], "10.0.0.2"),
    track("bilibili", [revert(6, now - 20)], "10.0.0.3"),
    track("x", [revert(5, now - 30)]));
  const {alerts, mark} = check(data, {id: 5, time: now - 30});
  assert.deepEqual(plain(alerts), [{platform: "bilibili", count: 2, time: now - 10}]);
  assert.deepEqual(plain(mark), {id: 7, time: now - 10});
  assert.deepEqual(plain(check(data, mark).alerts), []);  // told once
});

test("a suspected revert never raises a notification", () => {
  const data = answer(track("youtube", [revert(3, now - 10, "suspected")]));
  const {alerts, mark} = check(data, {id: 2, time: now - 100});
  assert.deepEqual(plain(alerts), []);
  assert.deepEqual(plain(mark), {id: 2, time: now - 100});
});

test("a new data directory (ids start again) is compared by time", () => {
  const data = answer(track("reddit", [revert(2, now - 10), revert(1, now - 900)]));
  const {alerts, mark} = check(data, {id: 40, time: now - 600});
  assert.deepEqual(plain(alerts), [{platform: "reddit", count: 1, time: now - 10}]);
  assert.deepEqual(plain(mark), {id: 2, time: now - 10});
});

test("the platform is named in the browser's language", () => {
  assert.equal(platformName("bilibili", "zh-CN"), "哔哩哔哩");
  assert.equal(platformName("bilibili", "en-GB"), "Bilibili");
  assert.equal(platformName("someone-else", "zh-CN"), "someone-else");
});

test("a notification opens the choices page: through the one-time login code's next=, or directly", () => {
  const {dashboardUrl} = load("choice-notify.js").feedlensChoiceNotify;
  const base = "http://127.0.0.1:8787";
  assert.equal(dashboardUrl(base, "a b", "/choices"), `${base}/?code=a%20b&next=%2Fchoices`);
  assert.equal(dashboardUrl(base, null, "/choices"), `${base}/choices`);
  assert.equal(dashboardUrl(base, "c"), `${base}/?code=c`);
  assert.equal(dashboardUrl(base, "c", "//evil.example"), `${base}/?code=c`);  // only a page of ours
});

test("clicking a revert notification opens /choices (choice-watch.js with a fake browser)", async () => {
  const listeners = {};
  const opened = [];
  const browser = {
    alarms: {onAlarm: {addListener() {}}, get: async () => ({}), create() {}},
    notifications: {onClicked: {addListener: (f) => { listeners.click = f; }}, clear() {}},
  };
  const vm = await import("node:vm");
  const {readFileSync} = await import("node:fs");
  const {EXTENSION} = await import("./load.mjs");
  const context = load("choice-notify.js");
  context.chrome = browser;
  vm.runInContext(readFileSync(new URL("compat.js", EXTENSION), "utf8"), context);
  context.openDashboard = (path) => opened.push(path);
  vm.runInContext(readFileSync(new URL("choice-watch.js", EXTENSION), "utf8"), context);
  listeners.click("some-other-notification");
  listeners.click("feedlens-choice-x");
  assert.deepEqual(opened, ["/choices"]);
});
