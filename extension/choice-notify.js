// Which confirmed reverts of the user's choice are new since the last notification (issue 22,
// "a confirmed revert raises a notification"), from what GET /api/choices answers and the mark
// the background keeps in storage ({id, time} of the newest revert already considered).
// Pure: no browser, no storage; background.js polls, stores the mark and shows the notifications.
"use strict";

(() => {
  // A revert recorded shortly before the very first check (just installed or paired) is still
  // news; older ones are history, shown on the dashboard, not pushed.
  const FIRST_WINDOW_S = 30 * 60;
  const NAMES = {
    bilibili: ["Bilibili", "哔哩哔哩"], bluesky: ["Bluesky", "Bluesky"], douyin: ["Douyin", "抖音"],
    mastodon: ["Mastodon", "Mastodon"], reddit: ["Reddit", "Reddit"], weibo: ["Weibo", "微博"],
    x: ["X", "X"], xiaohongshu: ["Xiaohongshu", "小红书"], youtube: ["YouTube", "YouTube"],
    zhihu: ["Zhihu", "知乎"],
  };

  const platformName = (platform, lang) => {
    const names = NAMES[platform];
    if (!names) return platform;
    return String(lang || "").toLowerCase().startsWith("zh") ? names[1] : names[0];
  };

  function confirmedReverts(data) {
    const found = [];
    for (const track of (data && data.choices) || []) {
      for (const revert of track.reverts || []) {
        if (revert.sure === "confirmed" && Number.isInteger(revert.id)) {
          found.push({platform: track.platform, id: revert.id, time: Number(revert.time) || 0});
        }
      }
    }
    return found;
  }

  // {alerts: [{platform, count, time}] (one per platform, newest first), mark: the new mark}.
  function check(data, mark) {
    const reverts = confirmedReverts(data);
    const now = Number(data && data.now) || 0;
    const newestId = Math.max(0, ...reverts.map((r) => r.id));
    const newestTime = Math.max(0, ...reverts.map((r) => r.time));
    let isNew;
    if (!mark) isNew = (r) => r.time >= now - FIRST_WINDOW_S;
    // Ids only grow within one store; a smaller newest id means a new data directory.
    else if (newestId < mark.id) isNew = (r) => r.time > mark.time;
    else isNew = (r) => r.id > mark.id;
    const byPlatform = new Map();
    for (const revert of reverts.filter(isNew)) {
      const seen = byPlatform.get(revert.platform) || {platform: revert.platform, count: 0, time: 0};
      seen.count += 1;
      seen.time = Math.max(seen.time, revert.time);
      byPlatform.set(revert.platform, seen);
    }
    const alerts = [...byPlatform.values()].sort((a, b) => b.time - a.time);
    const next = reverts.length
      ? {id: newestId, time: Math.max(newestTime, mark ? mark.time : 0)}
      : mark || {id: 0, time: now};
    return {alerts, mark: next};
  }

  // The dashboard page to open: with a one-time login code, /?code= redirects to `path` (next=).
  function dashboardUrl(base, code, path = "/") {
    const page = /^\/[a-z][a-z0-9/_-]*$/.test(path) ? path : "/";
    if (!code) return `${base}${page}`;
    const next = page === "/" ? "" : `&next=${encodeURIComponent(page)}`;
    return `${base}/?code=${encodeURIComponent(code)}${next}`;
  }

  globalThis.feedlensChoiceNotify = {check, platformName, dashboardUrl, FIRST_WINDOW_S};
})();
