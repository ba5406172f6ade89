import assert from "node:assert/strict";
import {test} from "node:test";
import {load, plain} from "./load.mjs";

const context = load("generated/platforms.js", "sites.js");
const {site, pageMatches, platformFor} = context.feedlensSites;
const bundled = context.feedlensPlatforms.platforms;
// What /api/rules/dom answers: every bundled platform with its endpoint hosts.
const service = Object.fromEntries(Object.entries(bundled).map(([name, e]) => [name, {hosts: [...e.hosts]}]));

test("site() keeps the registrable domain", () => {
  assert.equal(site("www.bilibili.com"), "bilibili.com");
  assert.equal(site("api.bilibili.com"), "bilibili.com");
  assert.equal(site("edith.xiaohongshu.com"), "xiaohongshu.com");
  assert.equal(site("x.com"), "x.com");
  assert.equal(site("*.youtube.com"), "youtube.com");
  assert.equal(site("News.BBC.co.uk"), "bbc.co.uk");
  assert.equal(site("www.example.de"), "example.de");
});

test("site() agrees with build.py's: every generated host falls in its platform's sites", () => {
  for (const [platform, entry] of Object.entries(bundled)) {
    for (const host of entry.hosts.filter((h) => h !== "*")) {
      assert.ok(entry.sites.includes(site(host)), `${platform}: ${host} -> ${site(host)}`);
    }
  }
});

test("page patterns match like the manifest's", () => {
  assert.ok(pageMatches("*.x.com", "x.com"));
  assert.ok(pageMatches("*.x.com", "mobile.x.com"));
  assert.ok(!pageMatches("*.x.com", "notx.com"));
  assert.ok(pageMatches("bsky.app", "bsky.app"));
  assert.ok(!pageMatches("bsky.app", "staging.bsky.app"));
});

test("platformFor() finds the platform of a page host", () => {
  assert.equal(platformFor("www.bilibili.com", service), "bilibili");
  assert.equal(platformFor("t.bilibili.com", service), "bilibili");
  assert.equal(platformFor("www.xiaohongshu.com", service), "xiaohongshu");
  assert.equal(platformFor("twitter.com", service), "x");
  assert.equal(platformFor("WWW.YouTube.com", service), "youtube");
  assert.equal(platformFor("old.reddit.com", service), "reddit");
});

test("platformFor() knows the pages of adapters that match any host", () => {
  assert.equal(platformFor("bsky.app", service), "bluesky");
  assert.equal(platformFor("mastodon.social", service), "mastodon");
  assert.equal(platformFor("fosstodon.org", service), null);
  assert.equal(platformFor("example.org", service), null);
});

test("platformFor() needs the service to have the platform's adapter", () => {
  const {bluesky, ...rest} = service;
  assert.equal(platformFor("bsky.app", rest), null);
  assert.equal(platformFor("www.bilibili.com", {}), null);
});

test("platformFor() finds the user's own adapters by their hosts", () => {
  const mine = {...service, forum: {hosts: ["api.forum.example.net", "*"]}};
  assert.equal(platformFor("www.forum.example.net", mine), "forum");
});

test("the generated data lists every bundled platform with pages", () => {
  assert.deepEqual(Object.keys(bundled).sort(), ["bilibili", "bluesky", "douyin", "mastodon", "reddit",
    "weibo", "x", "xiaohongshu", "youtube", "zhihu"]);
  assert.deepEqual(plain(bundled.bluesky.pages), ["bsky.app"]);
  assert.deepEqual(plain(bundled.xiaohongshu.pages), ["*.xiaohongshu.com"]);
});
