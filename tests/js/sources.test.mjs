import assert from "node:assert/strict";
import {readdirSync, readFileSync} from "node:fs";
import {test} from "node:test";
import {EXTENSION} from "./load.mjs";

const MAX_LINES = 400;  // keep every script small enough to read in one go

function scripts(dir = EXTENSION, prefix = "") {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => e.isDirectory()
    ? scripts(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`)
    : e.name.endsWith(".js") ? [`${prefix}${e.name}`] : []);
}

test(`no extension script is over ${MAX_LINES} lines`, () => {
  const files = scripts();
  assert.ok(files.includes("content/main.js") && files.includes("background.js"), files.join());
  const long = files.filter((f) => readFileSync(new URL(f, EXTENSION), "utf8").split("\n").length > MAX_LINES);
  assert.deepEqual(long, []);
});

test("the manifest loads every content module, main.js last", () => {
  const manifest = JSON.parse(readFileSync(new URL("manifest.json", EXTENSION), "utf8"));
  const listed = manifest.content_scripts.flatMap((s) => s.js);
  const modules = scripts().filter((f) => f.startsWith("content/"));
  assert.deepEqual(modules.filter((f) => !listed.includes(f)), []);
  assert.equal(listed.at(-1), "content/main.js");
});
