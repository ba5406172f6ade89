import assert from "node:assert/strict";
import {test} from "node:test";
import {fakeT, load, plain} from "./load.mjs";

const {describe, hhmm} = load("choice-state.js").feedlensChoice;
const at = new Date(2026, 11, 6, 9, 5).getTime() / 1000;
const track = (status, extra = {}) => ({platform: "bilibili", status, last_verified: at, hiding: false, ...extra});

test("nothing observed: no line", () => {
  assert.equal(describe({choices: []}, fakeT), null);
  assert.equal(describe(null, fakeT), null);
});

test("honoured shows when it was last verified", () => {
  assert.equal(hhmm(at), "09:05");
  assert.deepEqual(plain(describe({choices: [track("honoured")]}, fakeT)),
    {status: "honoured", text: "popupChoiceHonoured(09:05)", hiding: false});
});

test("the most serious device wins: turned back on, then suspected", () => {
  const both = {choices: [track("honoured"), track("reverted", {hiding: true}), track("suspected")]};
  assert.deepEqual(plain(describe(both, fakeT)), {status: "reverted", text: "popupChoiceReverted", hiding: true});
  assert.equal(describe({choices: [track("honoured"), track("suspected")]}, fakeT).text, "popupChoiceSuspected");
  assert.equal(describe({choices: [track("unknown", {last_verified: null})]}, fakeT).text, "popupChoiceUnknown");
});

test("a platform that needs the user's word: not declared, even before anything was observed", () => {
  assert.deepEqual(plain(describe({choices: [], declare: "required"}, fakeT)),
    {status: "not_declared", text: "popupChoiceNotDeclared", hiding: false});
  assert.equal(describe({choices: [], declare: "optional"}, fakeT), null);
  const undeclared = {choices: [track("not_declared", {last_verified: null})], declare: "required"};
  assert.equal(describe(undeclared, fakeT).text, "popupChoiceNotDeclared");
  assert.equal(describe({choices: [track("declared_on", {last_verified: null})]}, fakeT).text, "popupChoiceDeclaredOn");
  // one device watched and honoured, another not declared: the watched state shows
  assert.equal(describe({choices: [track("not_declared"), track("honoured")]}, fakeT).status, "honoured");
});
