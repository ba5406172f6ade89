import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {test} from "node:test";
import {EXTENSION, load} from "./load.mjs";

const {fill} = load("compat.js", "generated/vocabulary.js", "shared.js").feedlensShared;
const catalogue = (dir) => JSON.parse(readFileSync(new URL(`_locales/${dir}/messages.json`, EXTENSION), "utf8"));

test("a picked catalogue's entries are filled as browser.i18n.getMessage fills them", () => {
  const zh = catalogue("zh_CN");
  assert.equal(fill(zh.optionsFailed, [fill(zh.optionsBadCode, [])]),
    "配对失败：配对码错误、已用过或已过期；请运行 feedlens pair 获取新的配对码");
  assert.equal(fill({message: "$A$ and $B$ cost $$5", placeholders: {a: {content: "$1"}, b: {content: "$2"}}},
    ["x", 2]), "x and 2 cost $5");
  assert.equal(fill({message: "no placeholders"}, ["ignored"]), "no placeholders");
});

test("the pairing failure in Chinese has no English words", () => {
  const zh = catalogue("zh_CN");
  const text = fill(zh.optionsFailed, [fill(zh.optionsBadCode, [])]).replace("feedlens pair", "");
  assert.doesNotMatch(text, /[A-Za-z]/);
});
