// Reporting an item to its platform, the page side: the category picker drawn in the item menu,
// and sending the prepared request from this page (its origin, its session).
// The service prepares the request with `{cookie:NAME}` placeholders; only this script fills
// them, from document.cookie, so no cookie value ever leaves the browser.
// Loaded before content/*.js, which call globalThis.feedlensReport.
"use strict";

globalThis.feedlensReport ??= (() => {
  const {t, uiLanguage} = globalThis.feedlensShared;
  const pick = globalThis.feedlensPick;
  const MAX_BODY_BYTES = 64 * 1024;  // what the service keeps of a platform's answer
  const SEND_TIMEOUT_MS = 20_000;
  const COOKIE = /\{cookie:([A-Za-z0-9_.-]+)\}/g;

  const CSS = `
    .report { display: flex; flex-direction: column; gap: 6px; margin-top: 10px;
      border-top: 1px solid #d8dee4; padding-top: 10px; }
    .report-head { font-weight: 700; }
    .report textarea { font: inherit; padding: 4px 6px; border: 1px solid #8c959f; border-radius: 6px;
      resize: vertical; min-height: 2.6em; }
    .report-list { max-height: min(46vh, 360px); overflow: auto; display: flex; flex-direction: column; gap: 4px; }
    .report-group { margin: 6px 0 0; font-size: 12px; font-weight: 700; color: #57606a; }
    .report-choice { display: flex; flex-direction: column; align-items: flex-start; text-align: left; gap: 1px; }
    .report-choice small { color: #57606a; font-size: 11.5px; }
    .report-choice.api small { color: #1a7f37; }
    .report-ask { font-weight: 600; }
    .report-topics { display: flex; flex-wrap: wrap; gap: 4px; }
    .report-topic[aria-pressed="true"] { background: #0969da; border-color: #0969da; color: #fff; }
    .report-search { font: inherit; padding: 3px 6px; border: 1px solid #8c959f; border-radius: 6px; }
    .report-status { margin: 0; color: #57606a; }
    .report-foot { display: flex; gap: 6px; }
    textarea:focus-visible, .report-search:focus-visible { outline: 3px solid #ffbf47; outline-offset: 1px; }`;

  // ---- the picker ------------------------------------------------------------------------------

  // item: {platform, id, kind, promoted}.
  // ui: {send, button, onSubmit(choice, description, kind), onCancel, refit (the panel grew)}.
  function picker(item, ui) {
    const box = element("div", "report");
    const style = document.createElement("style");
    style.textContent = CSS;
    const status = element("p", "report-status", t("reportLoading"));
    status.setAttribute("role", "status");
    box.append(style, element("div", "report-head", t("reportPickerTitle")), status,
      footer(ui));
    load(item, ui, box, status);
    return box;
  }

  async function load(item, ui, box, status) {
    const reply = await ui.send("report-choices", {platform: item.platform, kind: item.kind || ""});
    if (!reply.ok) {
      status.textContent = t("reportChoicesFailed", reply.message || reply.error);
      return;
    }
    const {choices, kind} = reply.data;
    if (!choices.length) {
      status.textContent = t("reportNoChoices");
      return;
    }
    status.textContent = "";
    const description = describeField();
    const view = {topic: pick.startTopic(item), query: ""};
    const list = element("div", "report-list");
    list.setAttribute("role", "group");
    list.setAttribute("aria-label", t("reportPickerTitle"));
    const submit = (choice) => {
      list.querySelectorAll("button").forEach((other) => (other.disabled = true));  // one report per click
      status.textContent = t("reportSending");
      ui.onSubmit(choice, description.input.value.trim(), kind);
    };
    const redraw = () => {
      drawList(list, pick.visible(choices, view), ui, submit, view);
      const answered = view.query.trim() ? null : view.topic;  // a search looks past the answer
      question.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.topic === answered)));
      ui.refit();
    };
    const question = questionRow(choices, ui, view, redraw);
    const find = searchField(view, redraw);
    status.before(element("div", "report-ask", t("pickQuestion")), question, find, list,
      description.label, description.input);
    redraw();
    (view.topic ? list.querySelector("button") : question.querySelector("button"))?.focus();
  }

  // The plain question: one toggle per answer that leads to a category on this platform.
  function questionRow(choices, ui, view, redraw) {
    const row = element("div", "report-topics");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", t("pickQuestion"));
    for (const topic of pick.topicsOf(choices)) {
      const b = ui.button(t(pick.topicKey(topic)), () => {
        view.topic = view.topic === topic ? null : topic;
        redraw();
      });
      b.className = "report-topic";
      b.dataset.topic = topic;
      row.append(b);
    }
    return row;
  }

  function searchField(view, redraw) {
    const input = document.createElement("input");
    input.type = "search";
    input.className = "report-search";
    input.placeholder = t("pickSearch");
    input.setAttribute("aria-label", t("pickSearch"));
    input.addEventListener("input", () => {
      view.query = input.value;
      redraw();
    });
    return input;
  }

  function drawList(list, shown, ui, submit, view) {
    list.replaceChildren();
    let group = null;
    for (const choice of shown) {
      if (choice.group !== group) {
        group = choice.group;
        list.append(element("div", "report-group", choice.group_label || group));
      }
      list.append(choiceButton(choice, ui, () => submit(choice)));
    }
    if (!shown.length && view.query.trim()) list.append(element("p", "report-status", t("pickNoMatch")));
  }

  function describeField() {
    const label = element("label", "", t("reportDescription"));
    const input = document.createElement("textarea");
    input.rows = 2;
    input.maxLength = 2000;  // the service's limit
    input.id = "feedlens-report-description";
    label.htmlFor = input.id;
    return {label, input};
  }

  function choiceButton(choice, ui, onClick) {
    const b = ui.button("", onClick);
    const how = pick.filed(choice, t, uiLanguage());
    b.className = `report-choice ${how.how}`;
    b.dataset.category = choice.category;
    b.dataset.mode = choice.mode;
    b.replaceChildren(element("span", "", choice.label), element("small", "", how.text));
    if (choice.ref) b.title = choice.ref;  // the legal reference
    return b;
  }

  function footer(ui) {
    const foot = element("div", "report-foot");
    foot.append(ui.button(t("cancel"), ui.onCancel), ui.button(t("reportHistory"), () => ui.send("report-history")));
    return foot;
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // ---- sending the prepared request from this page ---------------------------------------------

  // "www.bilibili.com" and "api.bilibili.com" are one site; "evil.example" is not.
  function site(host) {
    const labels = host.toLowerCase().split(".");
    const short = labels.length > 2 && labels.at(-1).length === 2 &&
      ["com", "co", "net", "org", "gov", "edu"].includes(labels.at(-2));
    return labels.slice(short ? -3 : -2).join(".");
  }

  function cookies() {
    const jar = new Map();
    for (const pair of document.cookie.split(";")) {
      const at = pair.indexOf("=");
      if (at > 0) jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return jar;
  }

  // Throws naming the first cookie the page does not have (the user is probably logged out).
  function fillFields(fields) {
    const jar = cookies();
    const out = {};
    for (const [name, value] of Object.entries(fields || {})) {
      out[name] = String(value ?? "").replace(COOKIE, (_, cookie) => {
        if (!jar.has(cookie)) throw new Error(`cookie ${cookie} is not set on this page: log in first`);
        return jar.get(cookie);
      });
    }
    return out;
  }

  function encode(request, fields) {
    if (request.encoding === "json") {
      return {body: JSON.stringify(fields), headers: {"Content-Type": "application/json"}};
    }
    return {body: new URLSearchParams(fields), headers: {}};  // the browser sets the form type
  }

  function truncate(text) {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length <= MAX_BODY_BYTES) return text;
    // A cut through a multi-byte character decodes to U+FFFD: drop it.
    return new TextDecoder().decode(bytes.slice(0, MAX_BODY_BYTES)).replace(/\uFFFD+$/, "");
  }

  // Firefox runs content-script fetches as the extension; content.fetch runs them as the page.
  const pageFetch = typeof globalThis.content?.fetch === "function"
    ? globalThis.content.fetch.bind(globalThis.content) : globalThis.fetch.bind(globalThis);

  // Exactly one fetch per call; the answer for the service's /result.
  async function send(request) {
    let url;
    try {
      url = new URL(request.url);
      if (request.mode !== "api") throw new Error("not an api request");
      if (url.protocol !== "https:" || site(url.hostname) !== site(location.hostname)) {
        throw new Error(`refused: ${url.origin} is not this page's site`);
      }
    } catch (err) {
      return {http_status: 0, body: "", error: String(err.message || err)};
    }
    let encoded;
    try {
      encoded = encode(request, fillFields(request.fields));
    } catch (err) {
      return {http_status: 0, body: "", error: String(err.message || err)};
    }
    return fetchOnce(url, request.method || "POST", encoded);
  }

  async function fetchOnce(url, method, {body, headers}) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SEND_TIMEOUT_MS);
    try {
      const response = await pageFetch(url.href, {method, body, headers, credentials: "include",
        cache: "no-store", signal: abort.signal});
      return {http_status: response.status, body: truncate(await response.text())};
    } catch (err) {
      return {http_status: 0, body: "", error: `network: ${err.message || err}`};
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- the clipboard (manual reports) --------------------------------------------------------

  // place(el) puts the fallback's text field somewhere in the page (our shadow root).
  async function copy(text, place) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      return copyWithSelection(text, place);  // no focus or no permission: the old way
    }
  }

  function copyWithSelection(text, place) {
    const area = document.createElement("textarea");
    area.value = text;
    area.style.cssText = "position:fixed;left:-9999px;top:0;opacity:0";
    place(area);
    area.select();
    let done = false;
    try {
      done = document.execCommand("copy");
    } catch {
      done = false;
    }
    area.remove();
    return done;
  }

  const newRequestId = () => (crypto.randomUUID ? crypto.randomUUID()
    : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join(""));

  return {picker, send, copy, newRequestId};
})();
