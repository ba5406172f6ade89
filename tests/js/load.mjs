// Runs the extension's plain scripts in a fresh node vm context, in the order given, like a page
// loads them. The context has no document and no browser: a pure module that touches either
// fails here.
import {readFileSync} from "node:fs";
import vm from "node:vm";

export const EXTENSION = new URL("../../extension/", import.meta.url);

export function load(...files) {
  const context = vm.createContext({console});
  for (const file of files) {
    vm.runInContext(readFileSync(new URL(file, EXTENSION), "utf8"), context, {filename: file});
  }
  return context;
}

// Values made in the vm have its own Object and Array: compare them as plain data.
export const plain = (value) => JSON.parse(JSON.stringify(value));

// A translator that shows what it was asked: key(sub1|sub2).
export const fakeT = (key, ...subs) => (subs.length ? `${key}(${subs.join("|")})` : key);
