import assert from "node:assert/strict";
import {test} from "node:test";
import {load, plain} from "./load.mjs";

const {extractId, readsText, watchedAttributes, anyItemSelector} = load("content/ids.js").feedlensContent.ids;
// The adapters' id.regex values (rules/platforms/*.yaml, dom sections).
const BILIBILI_VIDEO = /\/video\/(BV[0-9A-Za-z]{10})/;
const BILIBILI_DYNAMIC = /(?:t\.bilibili\.com|\/opus)\/(\d+)/;
const X_STATUS = /\/status\/([0-9]+)/;
const YOUTUBE = /(?:[?&]v=|\/shorts\/)([A-Za-z0-9_-]{11})/;
const BLUESKY_POST = /\/post\/([a-z0-9]+)/;

test("the first group of the adapter's regex is the id", () => {
  assert.equal(extractId("https://www.bilibili.com/video/BV1GJ411x7h7/?spm_id_from=333.1007", BILIBILI_VIDEO), "BV1GJ411x7h7");
  assert.equal(extractId("//t.bilibili.com/915367364927848451?tab=2", BILIBILI_DYNAMIC), "915367364927848451");
  assert.equal(extractId("/www.bilibili.com/opus/915367364927848452", BILIBILI_DYNAMIC), "915367364927848452");
  assert.equal(extractId("/NASA/status/1861234567890123456/photo/1", X_STATUS), "1861234567890123456");
  assert.equal(extractId("/watch?v=dQw4w9WgXcQ&list=RDdQw4w9WgXcQ", YOUTUBE), "dQw4w9WgXcQ");
  assert.equal(extractId("/shorts/aBcD_eF-123", YOUTUBE), "aBcD_eF-123");
  assert.equal(extractId("/profile/alice.bsky.social/post/3lbq2xyzabc2k", BLUESKY_POST), "3lbq2xyzabc2k");
});

test("a regex without a group gives the whole match", () => {
  assert.equal(extractId("item-7421-card", /\d+/), "7421");
});

test("a link the regex does not match gives no id", () => {
  assert.equal(extractId("https://www.bilibili.com/bangumi/play/ep12345", BILIBILI_VIDEO), "");
  assert.equal(extractId("/NASA", X_STATUS), "");
});

test("without a regex the attribute or text is the id, trimmed", () => {
  assert.equal(extractId("  7301234567890123456 \n", null), "7301234567890123456");
  assert.equal(extractId(null, X_STATUS), "");
  assert.equal(extractId("", null), "");
  assert.equal(extractId("   ", null), "");
});

test("the observer watches links and the specs' id attributes, once each", () => {
  const specs = [{item: ".feed-card", id: {attr: "href"}}, {item: "[data-e2e='feed-item']", id: {attr: "data-e2e-vid"}},
    {item: ".video-card", id: {attr: "data-e2e-vid"}}, {item: ".hot li", id: {attr: "text"}}];
  assert.deepEqual(plain(watchedAttributes(specs)), ["href", "data-e2e-vid"]);
  assert.ok(readsText(specs[3]));
  assert.ok(!readsText(specs[0]));
  assert.equal(anyItemSelector(specs.slice(0, 2)), ".feed-card, [data-e2e='feed-item']");
});
