import assert from "node:assert/strict";
import {test} from "node:test";
import {load, plain} from "./load.mjs";

const {count, shouldHint, whyNoBadge, MIN_ITEMS} = load("content/unseen.js").feedlensContent.unseen;
const mark = {provenance: "followed", decision: "keep"};
const items = (...marks) => marks.map((m) => ({mark: m}));
const fresh = {shown: false, dismissed: false};

test("items are counted as marked, unmarked (the service has none) and still waiting", () => {
  assert.deepEqual(plain(count(items(mark, null, undefined, null))), {marked: 1, unmarked: 2, waiting: 1});
  assert.deepEqual(plain(count([])), {marked: 0, unmarked: 0, waiting: 0});
});

test("the hint shows when every answer is in and no item has a mark", () => {
  assert.equal(shouldHint(count(items(null, null, null, null)), fresh), true);
});

test("no hint when the proxy marked any item of the page", () => {
  assert.equal(shouldHint(count(items(mark, null, null, null)), fresh), false);
});

test("no hint while answers are still coming (marks lag the store's batch)", () => {
  assert.equal(shouldHint(count(items(null, null, null, undefined)), fresh), false);
});

test("no hint for a page with only a card or two: that is not a feed", () => {
  assert.equal(shouldHint(count(items(...Array(MIN_ITEMS - 1).fill(null))), fresh), false);
  assert.equal(shouldHint(count(items(...Array(MIN_ITEMS).fill(null))), fresh), true);
});

test("once per page load, and never again on a site where it was dismissed", () => {
  const unseen = count(items(null, null, null));
  assert.equal(shouldHint(unseen, {shown: true, dismissed: false}), false);
  assert.equal(shouldHint(unseen, {shown: false, dismissed: true}), false);
});

test("a badge without a mark says why: not seen by the proxy, or a page (DOM) rule decided", () => {
  assert.equal(whyNoBadge({mark: null}, {source: "none"}), "hintNotSeen");
  assert.equal(whyNoBadge({mark: null}, {source: "page"}), "hintDomRule");
  assert.equal(whyNoBadge({mark: undefined}, {source: "page"}), "hintDomRule");  // decided before the answer
  assert.equal(whyNoBadge({mark: null}, {source: "local"}), "hintNotSeen");
  assert.equal(whyNoBadge({mark}, {source: "proxy"}), null);
  assert.equal(whyNoBadge({mark: undefined}, {source: "waiting"}), null);  // no badge is drawn yet
});
