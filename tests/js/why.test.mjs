import assert from "node:assert/strict";
import {test} from "node:test";
import {fakeT, load, plain} from "./load.mjs";

const {badgeText, formatText, explain, actedText, failureReason, reportedText} = load("content/why.js").feedlensContent.why;
const promoted = {provenance: "promoted", confidence: 0.95, reason: "广告", rule: "bilibili/web-home-recommend#0",
  author: "某品牌官方", decision: "hide", decision_rule: "hide-ads",
  evidence: [{path: "goto", value: "ad"}, {path: "business_info.is_ad", value: true}]};

test("the overlay explains a proxy mark: reason, evidence, rule, author, decision", () => {
  const why = plain(explain({mark: promoted, author: "DOM name"}, {action: "hide", rule: "hide-ads", source: "proxy"}, fakeT));
  assert.equal(why.kind, "promoted");
  assert.equal(why.title, "prov_promoted");
  assert.equal(why.long, "provLong_promoted");
  assert.equal(why.confidence, "overlayConfidence(95)");
  assert.deepEqual(why.rows, [
    {label: "overlayWhy", value: "广告"},
    {label: "overlayEvidence", value: "goto = ad", code: true},
    {label: "overlayEvidence", value: "business_info.is_ad = true", code: true},
    {label: "overlayRule", value: "bilibili/web-home-recommend#0", code: true},
    {label: "overlayAuthor", value: "某品牌官方"},
    {label: "overlayDecision", value: "overlayDecidedBy(action_hide|hide-ads)"},
  ]);
  assert.equal(why.note, null);
});

test("the overlay names the rule pack whose adapter made the mark, after the rule", () => {
  const mark = {...promoted, pack: "feedlens-core 2026.12.06"};
  const rows = plain(explain({mark}, {action: "hide", rule: "hide-ads", source: "proxy"}, fakeT)).rows;
  const at = rows.findIndex((r) => r.label === "overlayPack");
  assert.deepEqual(rows[at], {label: "overlayPack", value: "feedlens-core 2026.12.06", code: true});
  assert.equal(rows[at - 1].label, "overlayRule");
  // a mark logged before packs were recorded has none: no row
  assert.ok(!explain({mark: promoted}, {action: "hide", rule: null, source: "proxy"}, fakeT).rows
    .some((r) => r.label === "overlayPack"));
});

test("evidence is cut to six rows of 160 characters", () => {
  const evidence = Array.from({length: 9}, (_, i) => ({path: `p${i}`, value: "x".repeat(300)}));
  const why = explain({mark: {...promoted, reason: "", rule: "", evidence}}, {action: "keep", rule: null, source: "proxy"}, fakeT);
  const rows = why.rows.filter((r) => r.label === "overlayEvidence");
  assert.equal(rows.length, 6);
  assert.equal(rows[0].value, `p0 = ${"x".repeat(160)}`);
});

test("an unmarked item says so, with the DOM's author and no rule", () => {
  const why = plain(explain({mark: null, author: "@nasa"}, {action: "keep", rule: null, source: "none"}, fakeT));
  assert.equal(why.kind, "unmarked");
  assert.equal(why.confidence, null);
  assert.deepEqual(why.rows, [{label: "overlayAuthor", value: "@nasa"},
    {label: "overlayDecision", value: "overlayNoRule"}]);
  assert.equal(why.note, "overlayUnmarked");
});

test("the note says who decided when it was not the proxy", () => {
  const entry = {mark: promoted};
  assert.equal(explain(entry, {action: "hide", rule: "ext-1", source: "local"}, fakeT).note, "overlayLocal");
  assert.equal(explain({mark: null}, {action: "blur", rule: "blur-gacha", source: "page"}, fakeT).note, "overlayFallback");
});

test("the badge names the provenance, and the action when it changes the item", () => {
  assert.deepEqual(plain(badgeText("popular", "label", fakeT)),
    {word: "prov_popular", state: "action_label", format: "", label: "badgeLabel(prov_popular, action_label)"});
  assert.deepEqual(plain(badgeText("followed", "keep", fakeT)),
    {word: "prov_followed", state: "", format: "", label: "badgeLabel(prov_followed)"});
});

test("toasts name what was done and why something failed", () => {
  assert.equal(actedText({kind: "hide_author", author: "老番茄", author_id: "546195"}, fakeT), "toastHiddenAuthor(老番茄)");
  assert.equal(actedText({kind: "show_author", author: "", author_id: "546195"}, fakeT), "toastShownAuthor(546195)");
  assert.equal(actedText({kind: "hide_like", keyword: "抽卡"}, fakeT), "toastHiddenLike(抽卡)");
  assert.equal(failureReason({ok: false, error: "offline"}, fakeT), "errorOffline");
  assert.equal(failureReason({ok: false, error: "unpaired"}, fakeT), "errorUnpaired");
  assert.equal(failureReason({ok: false, error: "refused", message: "bad rule"}, fakeT), "bad rule");
  assert.equal(reportedText({status: "submitted"}, fakeT), "reportToast_submitted");
  assert.equal(reportedText({status: "failed", message: "HTTP 412"}, fakeT), "reportToast_failed (HTTP 412)");
});

test("the overlay says what the item is: format, length and relation, and why when unknown", () => {
  const short = {...promoted, format: "short_video", relation: "original", duration_s: 42};
  assert.equal(formatText(short, fakeT), "format_short_video · 0:42");
  assert.equal(formatText({format: "video", relation: "repost", duration_s: 3723}, fakeT),
    "format_video · 62:03 · relation_repost");
  assert.equal(formatText({format: "unknown", format_why: "a trending topic, not a post", relation: "unknown",
    relation_why: "a trending topic, not a post"}, fakeT), "format_unknown (a trending topic, not a post) · relation_unknown");
  assert.equal(formatText({provenance: "followed"}, fakeT), null);  // an older mark without one
  const long = formatText({format: "unknown", format_why: "x".repeat(200)}, fakeT);
  assert.equal(long, `format_unknown (${"x".repeat(79)}…)`);
  const why = plain(explain({mark: short}, {action: "keep", rule: null, source: "proxy"}, fakeT));
  assert.deepEqual(why.rows[1], {label: "overlayFormat", value: "format_short_video · 0:42"});
});

test("the badge names a known format beside the provenance, never an unknown one", () => {
  assert.deepEqual(plain(badgeText("personalized", "label", fakeT, "short_video")),
    {word: "prov_personalized", state: "action_label", format: "format_short_video",
      label: "badgeLabel(prov_personalized, format_short_video, action_label)"});
  assert.equal(badgeText("followed", "keep", fakeT, "unknown").format, "");
  assert.equal(badgeText("followed", "keep", fakeT).label, "badgeLabel(prov_followed)");
});
