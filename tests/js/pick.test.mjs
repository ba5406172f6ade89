import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {test} from "node:test";
import {EXTENSION, fakeT, load, plain} from "./load.mjs";

const pick = load("pick.js").feedlensPick;

// Rows as /api/reports/choices returns them (Bilibili video, trimmed), in Chinese and English.
const row = (category, topics, zh, en, mode, reason) => ({category, topics, group: category.split(".").slice(0, -1).join("."),
  mode, reason, zh, en});
const ROWS = [
  row("cn.illegal.constitution", ["illegal"], "反对宪法所确定的基本原则", "Opposing the basic principles set out in the Constitution",
    "api", {code: 2, label: "违法违禁", en: "Illegal or prohibited"}),
  row("cn.illegal.rumor", ["misleading", "illegal"], "散布谣言，扰乱经济秩序和社会秩序", "Spreading rumours that disrupt economic or social order",
    "api", {code: 10015, label: "谣言类", en: "Rumour"}),
  row("cn.ad.unlabelled", ["ad"], "未标明“广告”的广告", "Advertising not labelled as an ad",
    "api", {code: 9, label: "广告引流", en: "Ad or traffic diversion"}),
  row("dsa.consumer_information", ["ad", "misleading"], "消费者信息侵权", "Consumer information infringements", "manual", null),
  row("dsa.intellectual_property_infringements", ["other"], "知识产权侵权", "Intellectual property infringements",
    "manual", {code: 10024, label: "侵权申诉"}),
];
const inLanguage = (lang) => ROWS.map((r) => ({...r, label: r[lang], group_label: lang === "zh" ? "分组" : "Group"}));
const ids = (choices) => plain(choices).map((c) => c.category);

test("the plain question offers only answers with categories, in the question's order", () => {
  assert.deepEqual(plain(pick.topicsOf(ROWS)), ["ad", "misleading", "illegal", "other"]);
  assert.deepEqual(plain(pick.topicsOf([])), []);
});

test("an answer lists the categories whose topics include it, in file order", () => {
  assert.deepEqual(ids(pick.forTopic(ROWS, "ad")), ["cn.ad.unlabelled", "dsa.consumer_information"]);
  assert.deepEqual(ids(pick.forTopic(ROWS, "misleading")), ["cn.illegal.rumor", "dsa.consumer_information"]);
  assert.deepEqual(ids(pick.forTopic(ROWS, "minors")), []);
});

test("an ad opens on the ad reasons; anything else on the question", () => {
  assert.equal(pick.startTopic({promoted: true}), "ad");
  assert.equal(pick.startTopic({promoted: false}), null);
  const first = pick.visible(ROWS, {topic: pick.startTopic({promoted: true}), query: ""});
  assert.deepEqual(ids(first), ["cn.ad.unlabelled", "dsa.consumer_information"]);
  assert.deepEqual(ids(pick.visible(ROWS, {topic: null, query: ""})), []);  // the question first
});

test("search finds Chinese labels by a substring, and the platform's own reason", () => {
  const zh = inLanguage("zh");
  assert.deepEqual(ids(pick.search(zh, "广告")), ["cn.ad.unlabelled"]);
  assert.deepEqual(ids(pick.search(zh, "谣言")), ["cn.illegal.rumor"]);
  assert.deepEqual(ids(pick.search(zh, "违法违禁")), ["cn.illegal.constitution"]);  // the platform's word
  assert.deepEqual(ids(pick.search(zh, "rumour")), ["cn.illegal.rumor"]);  // its English translation
  assert.deepEqual(ids(pick.search(zh, "彩票")), []);
});

test("search in English: every word, any case, full-width folded", () => {
  const en = inLanguage("en");
  assert.deepEqual(ids(pick.search(en, "AD labelled")), ["cn.ad.unlabelled"]);
  assert.deepEqual(ids(pick.search(en, "ｉｎｆｒｉｎｇｅｍｅｎｔｓ")), ["dsa.consumer_information", "dsa.intellectual_property_infringements"]);
  assert.deepEqual(ids(pick.search(en, "ad rumours")), []);
  assert.deepEqual(ids(pick.search(en, "   ")), []);
});

test("a search looks past the chosen answer", () => {
  assert.deepEqual(ids(pick.visible(inLanguage("en"), {topic: "ad", query: "constitution"})), ["cn.illegal.constitution"]);
});

test("how it is filed: sent by feedlens for api categories, finished by hand for manual ones", () => {
  assert.deepEqual(plain(pick.filed(ROWS[1], fakeT, "en")), {how: "api", text: "pickSentDirectly(Rumour / 谣言类 (10015))"});
  assert.deepEqual(plain(pick.filed(ROWS[1], fakeT, "zh")), {how: "api", text: "pickSentDirectly(谣言类 (10015))"});
  assert.deepEqual(plain(pick.filed(ROWS[3], fakeT, "en")), {how: "manual", text: "pickManual"});
  // A manual category names the reason to pick on the platform's page when the adapter has one.
  assert.deepEqual(plain(pick.filed(ROWS[4], fakeT, "en")), {how: "manual", text: "pickManualReason(侵权申诉 (10024))"});
  // api mode without a reason cannot be sent: never claim it is.
  assert.equal(pick.filed({mode: "api", reason: null}, fakeT, "en").how, "manual");
});

test("every answer of the question has its words in both languages", () => {
  for (const locale of ["en", "zh_CN"]) {
    const messages = JSON.parse(readFileSync(new URL(`_locales/${locale}/messages.json`, EXTENSION), "utf8"));
    for (const topic of pick.TOPICS) assert.ok(messages[pick.topicKey(topic)]?.message, `${locale} ${topic}`);
  }
});

test("the question's answers are the loader's topics", () => {
  const loader = readFileSync(new URL("../proxy/feedlens/reports/categories.py", EXTENSION), "utf8");
  const topics = /^TOPICS = \(([^)]*)\)/m.exec(loader)[1].match(/"([a-z]+)"/g).map((q) => q.slice(1, -1));
  assert.deepEqual(plain(pick.TOPICS), topics);
});
