import assert from "node:assert/strict";
import {test} from "node:test";
import {load, plain} from "./load.mjs";

const {decide, pageEffect, badgeKind, sortAnswer, idsToForget} =
  load("compat.js", "generated/vocabulary.js", "shared.js", "content/decide.js").feedlensContent.decide;
const NOW = Date.parse("2026-11-30T12:00:00Z");
const page = {platform: "bilibili", pausedUntil: null, rules: [
  {id: "blur-gacha", action: "blur", when: {keywords: ["抽卡"], platform: ["bilibili"]}},
  {id: "hide-spam", action: "hide", when: {author: ["SpamStudio"]}, unless: {keywords: ["official"]}},
]};
const mark = (extra = {}) => ({provenance: "personalized", decision: "keep", decision_rule: null,
  author: "老番茄", author_id: "546195", ...extra});
const item = (extra = {}) => ({id: "BV1GJ411x7h7", author: "老番茄", title: "", text: "", ...extra});

test("the proxy's mark decides when no rule was added on the page", () => {
  const entry = item({mark: mark({provenance: "promoted", decision: "hide", decision_rule: "hide-ads"})});
  assert.deepEqual(plain(decide(entry, page, [], NOW)), {action: "hide", rule: "hide-ads", source: "proxy"});
});

test("a rule added on this page beats the mark", () => {
  const local = [{id: "ext-1", action: "hide", when: {author: ["546195"]}}];
  const entry = item({mark: mark()});
  assert.deepEqual(plain(decide(entry, page, local, NOW)), {action: "hide", rule: "ext-1", source: "local"});
});

test("items the proxy has no mark for fall back to the profile's page rules", () => {
  const gacha = item({mark: null, title: "新角色抽卡 100 连"});
  assert.deepEqual(plain(decide(gacha, page, [], NOW)), {action: "blur", rule: "blur-gacha", source: "page"});
  const spam = item({mark: null, author: "spamstudio"});
  assert.equal(decide(spam, page, [], NOW).action, "hide");
  const spared = item({mark: null, author: "SpamStudio", text: "Official channel"});
  assert.deepEqual(plain(decide(spared, page, [], NOW)), {action: "keep", rule: null, source: "none"});
});

test("page rules of another platform do not apply", () => {
  const gacha = item({mark: null, title: "抽卡"});
  assert.equal(decide(gacha, {...page, platform: "x"}, [], NOW).action, "keep");
});

test("an item still waiting for its mark is kept", () => {
  assert.deepEqual(plain(decide(item({mark: undefined}), page, [], NOW)), {action: "keep", rule: null, source: "waiting"});
});

test("a pause keeps everything until it ends", () => {
  const entry = item({mark: mark({decision: "hide", decision_rule: "hide-ads"})});
  const paused = {...page, pausedUntil: NOW / 1000 + 60};
  assert.deepEqual(plain(decide(entry, paused, [], NOW)), {action: "keep", rule: null, source: "proxy"});
  assert.equal(decide(item({mark: null, title: "抽卡"}), paused, [], NOW).source, "none");
  assert.equal(decide(entry, {...page, pausedUntil: NOW / 1000 - 1}, [], NOW).action, "hide");
});

test("the page effect hides or blurs, nothing else", () => {
  assert.deepEqual(plain(pageEffect("hide")), {hide: true, blur: false});
  assert.deepEqual(plain(pageEffect("blur")), {hide: false, blur: true});
  assert.deepEqual(plain(pageEffect("label")), {hide: false, blur: false});
});

test("the badge shows the provenance, unmarked once known, nothing while waiting", () => {
  assert.equal(badgeKind(item({mark: mark()}), {source: "proxy"}), "personalized");
  assert.equal(badgeKind(item({mark: null}), {source: "none"}), "unmarked");
  assert.equal(badgeKind(item({mark: undefined}), {source: "page"}), "unmarked");
  assert.equal(badgeKind(item({mark: undefined}), {source: "waiting"}), null);
});

test("missing marks are asked again, then count as unmarked", () => {
  const tries = new Map();
  const answer = {BV1: mark(), BV2: null};
  let sorted = sortAnswer(["BV1", "BV2"], answer, tries, 2);
  assert.deepEqual([...sorted.found.keys()], ["BV1"]);
  assert.deepEqual(plain(sorted.retry), ["BV2"]);
  sorted = sortAnswer(["BV2"], {}, tries, 2);
  assert.deepEqual(plain(sorted.retry), ["BV2"]);
  sorted = sortAnswer(["BV2"], {}, tries, 2);
  assert.deepEqual(plain(sorted.retry), []);
  assert.equal(sorted.found.get("BV2"), null);
  assert.equal(tries.get("BV2"), 3);
});

test("a long scroll forgets the oldest half of its answers", () => {
  const marks = new Map(Array.from({length: 12}, (_, i) => [`id${i}`, null]));
  assert.deepEqual(plain(idsToForget(marks, 12)), []);
  assert.deepEqual(plain(idsToForget(marks, 10)), ["id0", "id1", "id2", "id3", "id4", "id5", "id6"]);
});
