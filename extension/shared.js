// Shared by the content script and the extension pages: provenance styles, text matching.
// Loaded as a classic script (content scripts cannot be modules); exports one global.
"use strict";

globalThis.feedlensShared ??= (() => {
  const {browser, extensionPage} = globalThis.feedlensCompat;  // compat.js, loaded first

  // Colour + icon + word: never colour alone. Words and colours come from the one vocabulary
  // (rules/vocabulary.yaml → generated/vocabulary.js, loaded first); the icons are ours.
  // White text on these colours passes WCAG AA (>= 4.5:1; tests/test_vocabulary.py checks).
  const VOCABULARY = globalThis.feedlensVocabulary;
  const ICONS = {
    followed: '<path d="M4 12.5l5 5L20 6.5"/>',
    personalized: '<circle cx="12" cy="12" r="8"/><circle cx="12" cy="12" r="3.5"/>',
    popular: '<path d="M3 17l6-6 4 4 8-8"/><path d="M15 7h6v6"/>',
    promoted: '<path d="M3 10v4h3l6 5V5L6 10z"/><path d="M16 9a4 4 0 010 6"/>',
    search: '<circle cx="10.5" cy="10.5" r="6"/><path d="M15 15l6 6"/>',
    own: '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-5 15-5 16 0"/>',
    unknown: '<path d="M9 9a3 3 0 115 2c-1.5 1-2 1.5-2 3"/><path d="M12 18h.01"/>',
    unmarked: '<circle cx="12" cy="12" r="8" stroke-dasharray="3 3"/>',
  };
  const PROVENANCE = Object.fromEntries(Object.entries(ICONS).map(([kind, path]) => [kind, {
    color: (VOCABULARY.classes[kind] || VOCABULARY.classes.unknown).color, icon: path}]));
  const ORDER = [...VOCABULARY.order];

  function icon(provenance, size = 14) {
    const meta = PROVENANCE[provenance] || PROVENANCE.unknown;
    return `<svg aria-hidden="true" width="${size}" height="${size}" viewBox="0 0 24 24" fill="none" ` +
      `stroke="currentColor" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round">${meta.icon}</svg>`;
  }

  const messages = new Map();  // badges ask for the same few strings hundreds of times

  // The language picked on the options page beats the browser's. browser.i18n cannot switch
  // language at runtime, so an extension page loads that _locales file itself. The choice is
  // kept in the extension origin's localStorage, not in the extension's key-value store: that
  // holds the service credential, and this file also runs as a content script, which must never touch it.
  // Content scripts (on a web page's origin) skip this and keep the browser's language.
  const LANGUAGE_KEY = "feedlensLanguage";
  const LOCALE_DIRS = {en: "en", "zh-CN": "zh_CN"};
  let picked = null;  // the picked catalogue (messages.json), once loaded

  // A messages.json entry with its named placeholders and $1… filled, as getMessage does.
  function fill(entry, subs) {
    const named = entry.message.replace(/\$([A-Za-z0-9_@]+)\$/g, (whole, name) =>
      entry.placeholders?.[name.toLowerCase()]?.content ?? whole);
    return named.replace(/\$(\$|\d)/g, (whole, c) => (c === "$" ? "$" : String(subs[c - 1] ?? "")));
  }

  // "en", "zh-CN" or "" (as the browser); only extension pages have a choice.
  const pickedLanguage = () => (extensionPage ? globalThis.localStorage.getItem(LANGUAGE_KEY) || "" : "");

  function pickLanguage(choice) {
    if (!extensionPage) return;
    if (LOCALE_DIRS[choice]) globalThis.localStorage.setItem(LANGUAGE_KEY, choice);
    else globalThis.localStorage.removeItem(LANGUAGE_KEY);
  }

  async function loadLanguage() {
    const dir = LOCALE_DIRS[pickedLanguage()];
    if (!dir) return;
    const response = await fetch(browser.runtime.getURL(`_locales/${dir}/messages.json`));
    picked = await response.json();
    messages.clear();
  }

  const ready = extensionPage ? loadLanguage().catch(() => {}) : Promise.resolve();

  function t(key, ...subs) {
    const word = key.startsWith("prov_") && VOCABULARY.classes[key.slice(5)];
    if (word) return label(key.slice(5));  // a class's word: the vocabulary's, not _locales'
    const facet = /^(format|relation)_(.+)$/.exec(key);  // format_short_video, relation_repost
    const term = facet && VOCABULARY[facet[1]]?.[facet[2]];
    if (term) return term[uiLanguage()];
    const cacheKey = subs.length ? `${key}\u0000${subs.join("\u0000")}` : key;
    let text = messages.get(cacheKey);
    if (text === undefined) {
      try {
        text = picked?.[key] ? fill(picked[key], subs) : browser.i18n.getMessage(key, subs.map(String)) || key;
      } catch {
        return key;  // the extension was reloaded under this page: its APIs are gone
      }
      if (messages.size < 500) messages.set(cacheKey, text);
    }
    return text;
  }

  // Python's normalize() is NFKC + casefold; NFKC + toLowerCase agrees on everything but
  // a few special foldings (ß), which is fine for a page-side fallback.
  const normalize = (text) => (text || "").normalize("NFKC").toLowerCase();

  // Does a page rule (see proxy/service/extension_api.page_rule) match this item?
  function matches(cond, item, platform) {
    if (cond.platform && !cond.platform.includes(platform)) return false;
    if (cond.author) {
      const have = [item.authorId, item.author, item.domAuthor].filter(Boolean).map(normalize);
      if (!cond.author.some((a) => have.includes(normalize(a)))) return false;
    }
    if (cond.keywords) {
      const text = normalize(`${item.title || ""} ${item.text || ""}`);
      if (!cond.keywords.some((k) => k && text.includes(normalize(k)))) return false;
    }
    return true;
  }

  function firstRule(rules, item, platform) {
    return rules.find((r) => matches(r.when, item, platform) &&
      !(r.unless && matches(r.unless, item, platform))) || null;
  }

  // A class's word in the UI language (prov_<class> through t() ends here too).
  function label(kind) {
    const known = VOCABULARY.classes[kind];
    return known ? known.label[uiLanguage()] : t(`prov_${kind}`);
  }

  // The catalogue's language (the picked one, else the browser's), not getUILanguage(): they differ when the browser's UI language has
  // no catalogue of ours, or (headless Chromium with --lang=zh-CN) reports en-US over zh_CN.
  const uiLanguage = () => (t("language") === "zh" ? "zh" : "en");

  // Now in the browser's language, again once a picked language has loaded.
  function translatePage(root = document) {
    const apply = () => {
      for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
      document.documentElement.lang = uiLanguage() === "zh" ? "zh-CN" : "en";
    };
    apply();
    ready.then(() => picked && apply());
  }

  return {browser, PROVENANCE, ORDER, icon, t, label, normalize, matches, firstRule, translatePage,
          uiLanguage, ready, fill, pickedLanguage, pickLanguage};
})();
