// The report picker's logic: the plain question, which categories answer it, the search, and
// how a category is filed on this platform. Pure: t (shared.js's translator) is passed in, no
// DOM, no browser.* (tests/js runs it in node); report-ui.js draws it.
// The question → categories mapping is data: each category's `topics` in rules/categories.yaml,
// as the service's choices endpoint returns it.
"use strict";

globalThis.feedlensPick ??= (() => {
  // The question's answers, in the order asked (rules/categories.yaml TOPICS, same ids).
  const TOPICS = ["spam", "ad", "misleading", "harassment", "illegal", "minors", "other"];

  const topicKey = (topic) => `pickTopic_${topic}`;

  // The answers that lead somewhere on this platform (a topic with no category is not offered).
  function topicsOf(choices) {
    return TOPICS.filter((topic) => choices.some((c) => (c.topics || []).includes(topic)));
  }

  const forTopic = (choices, topic) => choices.filter((c) => (c.topics || []).includes(topic));

  // An item the proxy marked as an ad opens on the ad reasons; anything else on the question.
  const startTopic = (item) => (item && item.promoted ? "ad" : null);

  // NFKC + lower case, like shared.js normalize(); full-width letters match half-width ones.
  const fold = (text) => String(text || "").normalize("NFKC").toLowerCase();

  // What a query is matched against: the label in the user's language, its legal group, and the
  // platform's own reason (its label and translations), so "广告" and "ad" both find ads.
  function haystack(choice) {
    const reason = choice.reason || {};
    return fold([choice.label, choice.group_label, reason.label, reason.zh, reason.en].join(" \u0000 "));
  }

  // One query word: Chinese has no spaces, so any substring; other words match from a word's
  // start ("ad" finds "an ad", not "spreading").
  function wordTest(word) {
    if (/\p{Script=Han}/u.test(word)) return (hay) => hay.includes(word);
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const start = new RegExp(`(?:^|[^\\p{L}\\p{N}])${escaped}`, "u");
    return (hay) => start.test(hay);
  }

  // Every word of the query must appear.
  function search(choices, query) {
    const tests = fold(query).split(/\s+/).filter(Boolean).map(wordTest);
    if (!tests.length) return [];
    return choices.filter((c) => {
      const hay = haystack(c);
      return tests.every((matches) => matches(hay));
    });
  }

  // The list to show: the search when there is one, else the chosen topic's categories.
  function visible(choices, {topic, query}) {
    if (fold(query).trim()) return search(choices, query);
    return topic ? forTopic(choices, topic) : [];
  }

  // The platform's reason as the user reads it: its translation first when it has one.
  function reasonText(reason, lang) {
    if (!reason) return "";
    const label = reason.label || "";
    const local = reason[lang];
    const shown = local && local !== label ? `${local} / ${label}` : label;
    return reason.code === undefined ? shown : `${shown} (${reason.code})`;
  }

  // How this category is filed on this platform, truthfully: the service sends api-mode
  // categories from this page; manual ones are copied and finished on the platform's page.
  function filed(choice, t, lang) {
    const reason = reasonText(choice.reason, lang);
    if (choice.mode === "api" && choice.reason) return {how: "api", text: t("pickSentDirectly", reason)};
    return {how: "manual", text: reason ? t("pickManualReason", reason) : t("pickManual")};
  }

  return {TOPICS, topicKey, topicsOf, forTopic, startTopic, search, visible, reasonText, filed};
})();
