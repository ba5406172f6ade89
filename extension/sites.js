// Which platform serves a host: site() and platformFor(), from the adapters' data that
// extension/build.py writes to generated/platforms.js (loaded before this file).
// Pure: no DOM, no browser.* (tests/js runs it in node).
"use strict";

globalThis.feedlensSites ??= (() => {
  const data = () => globalThis.feedlensPlatforms;

  // "www.bilibili.com" and "api.bilibili.com" are both site "bilibili.com"; "bbc.co.uk" stays
  // whole. build.py's site() is the same function: the generated sites come from it.
  function site(host) {
    const labels = host.toLowerCase().replace(/^\*\./, "").split(".");
    const short = labels.length > 2 && labels.at(-1).length === 2 &&
      data().siteSecondLevel.includes(labels.at(-2));
    return labels.slice(short ? -3 : -2).join(".");
  }

  // A page pattern as in the manifest's matches: "*.x.com" is x.com and its subdomains.
  function pageMatches(pattern, host) {
    if (!pattern.startsWith("*.")) return host === pattern;
    const base = pattern.slice(2);
    return host === base || host.endsWith(`.${base}`);
  }

  // known: the service's platforms ({name: {hosts}}), which may include the user's own adapters.
  // The bundled adapters' pages come first: they name hosts that endpoints matching "*" cannot.
  function platformFor(host, known) {
    const name = host.toLowerCase();
    for (const [platform, entry] of Object.entries(data().platforms)) {
      if (known[platform] && entry.pages.some((p) => pageMatches(p, name))) return platform;
    }
    const wanted = site(name);
    for (const [platform, entry] of Object.entries(known)) {
      if ((entry.hosts || []).some((h) => h !== "*" && site(h) === wanted)) return platform;
    }
    return null;
  }

  return {site, pageMatches, platformFor};
})();
