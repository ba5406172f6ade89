// Report history: every report feedlens stored, its status and the platform's answer time.
// Failed reports can be retried: the service hands the same request out again and a tab of
// that platform sends it (the user's session lives there, not here).
"use strict";

const {browser, t, translatePage} = globalThis.feedlensShared;
const $ = (id) => document.getElementById(id);
const call = (type, data = {}) => browser.runtime.sendMessage({type, ...data});
const STATUSES = ["stored", "submitted", "duplicate", "rate_limited", "failed", "manual"];
const labels = new Map();  // "platform kind" -> Map(category id -> label in the UI language)

function problem(text) {
  $("problem").hidden = !text;
  $("problem").textContent = text || "";
}

function explain(reply) {
  if (reply.error === "offline") return t("errorOffline");
  if (reply.error === "unpaired") return t("errorUnpaired");
  if (reply.error === "no-tab") return t("reportNoTab", reply.message);
  if (reply.status === 429) return t("reportToastTooMany", reply.message);
  return reply.message || reply.error;
}

async function categoryLabels(reports) {
  for (const r of reports) {
    const key = `${r.platform} ${r.kind}`;
    if (labels.has(key)) continue;
    labels.set(key, new Map());
    const reply = await call("report-choices", {platform: r.platform, kind: r.kind});
    if (reply.ok) for (const c of reply.data.choices) labels.get(key).set(c.category, c.label);
  }
}

function cell(row, content) {
  const td = document.createElement("td");
  td.append(content ?? "");
  row.append(td);
  return td;
}

function link(text, href) {
  if (!/^https?:\/\//.test(href || "")) return text;
  const a = document.createElement("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.textContent = text;
  return a;
}

function statusCell(td, report) {
  const strong = document.createElement("strong");
  strong.className = `status status-${report.status}`;
  strong.textContent = t(`reportStatus_${report.status}`);
  td.replaceChildren(strong);
  if (report.message && report.status !== "submitted") {
    const small = document.createElement("small");
    small.textContent = ` ${report.message}`;
    td.append(small);
  }
}

function answerTime(report) {
  if (typeof report.answer_ms !== "number") return "";
  if (report.answer_ms < 1000) return t("reportMillis", report.answer_ms);
  return t("reportSeconds", (report.answer_ms / 1000).toFixed(1));
}

function row(report) {
  const tr = document.createElement("tr");
  tr.dataset.id = String(report.id);
  tr.dataset.status = report.status;
  cell(tr, new Date(report.created * 1000).toLocaleString());
  cell(tr, report.platform);
  cell(tr, link(report.item_id, report.page_url));
  cell(tr, labels.get(`${report.platform} ${report.kind}`)?.get(report.category) || report.category);
  statusCell(cell(tr), report);
  cell(tr, answerTime(report));
  const actions = cell(tr);
  if (report.retryable) actions.append(retryButton(report, tr));
  if (report.status === "manual") actions.append(manualButton(report));
  return tr;
}

function manualButton(report) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "manual";
  button.textContent = t("reportOpenManual");
  button.addEventListener("click", async () => {
    const reply = await call("report-manual-open", {id: report.id});
    problem(reply.ok ? "" : explain(reply));
  });
  return button;
}

function retryButton(report, tr) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "retry";
  button.textContent = t("reportRetry");
  button.addEventListener("click", async () => {
    button.disabled = true;  // one retry per click
    problem("");
    const reply = await call("report-retry", {id: report.id});
    if (!reply.ok) {
      problem(explain(reply));
      button.disabled = false;
      return;
    }
    tr.replaceWith(row({...report, ...reply.data.report}));
  });
  return button;
}

async function load() {
  const reply = await call("reports-list", {status: $("status").value, limit: 200});
  if (!reply.ok) {
    problem(explain(reply));
    return;
  }
  problem("");
  const {reports} = reply.data;
  await categoryLabels(reports);
  $("reports").tBodies[0].replaceChildren(...reports.map(row));
  $("reports").hidden = reports.length === 0;
  $("empty").hidden = reports.length > 0;
}

function statusFilter() {
  const select = $("status");
  select.append(new Option(t("reportAll"), ""));
  for (const status of STATUSES) select.append(new Option(t(`reportStatus_${status}`), status));
  select.addEventListener("change", load);
  $("reload").addEventListener("click", load);
}

translatePage();
statusFilter();
load().catch((err) => problem(String(err)));
