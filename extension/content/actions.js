// The item menu: hide or always show the author, hide items like this, report. Each writes a
// rule through the service, applies it here at once and offers undo; reporting's picker and
// sending live in report-ui.js.
"use strict";

globalThis.feedlensContent ??= {};
globalThis.feedlensContent.actions ??= (() => {
  const C = globalThis.feedlensContent;
  const {state, safe, send} = C.core;
  const {t} = globalThis.feedlensShared;
  const reporting = globalThis.feedlensReport;
  const overlay = () => C.overlay;  // defined after this file: it builds the menu from ours

  function menu(entry) {
    const {button} = overlay();
    const box = document.createElement("div");
    box.className = "menu";
    const authorId = entry.mark?.author_id || "";
    const author = entry.mark?.author || entry.author || "";
    const noAuthor = !authorId && !author;
    box.append(
      button(t("menuHideAuthor"), () => act({kind: "hide_author", author_id: authorId, author}), noAuthor),
      button(t("menuShowAuthor"), () => act({kind: "show_author", author_id: authorId, author}), noAuthor),
      button(t("menuHideLike"), () => box.replaceWith(likeForm(entry))),
      button(t("menuReport"), () => {
        box.replaceWith(reportPicker(entry));
        overlay().refit();
      }),
    );
    return box;
  }

  function likeForm(entry) {
    const {button, hide} = overlay();
    const form = document.createElement("form");
    const label = document.createElement("label");
    const input = document.createElement("input");
    label.textContent = t("hideLikeLabel");
    input.value = (entry.title || entry.text || "").slice(0, 40);
    input.setAttribute("aria-label", t("hideLikeLabel"));
    label.htmlFor = input.id = "feedlens-like";
    const submit = button(t("hideLikeSubmit"), () => {});
    submit.type = "submit";
    form.append(label, input, submit, button(t("cancel"), () => hide()));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (event.isTrusted && input.value.trim()) act({kind: "hide_like", keyword: input.value.trim()});
    });
    setTimeout(() => input.focus());
    return form;
  }

  // Write a rule through the service, apply it here at once, offer undo.
  async function act(request) {
    overlay().hide();
    const reply = await send("act", {platform: state.config.platform, ...request});
    if (!reply.ok) {
      overlay().notify(t("toastFailed", C.why.failureReason(reply, t)));
      return;
    }
    const {id, rule} = reply.data;
    state.localRules = [rule, ...state.localRules];
    C.badges.updateAll();
    overlay().notify(C.why.actedText(request, t), () => undo(id));
  }

  async function undo(id) {
    const undone = await send("undo", {id});
    if (!undone.ok) {
      overlay().notify(t("toastFailed", undone.message || undone.error));
      return;
    }
    state.localRules = state.localRules.filter((r) => r.id !== id);
    C.badges.updateAll();
    overlay().notify(t("toastUndone"));
  }

  // ---- reporting an item ------------------------------------------------------------------------

  function reportPicker(entry) {
    const {button, hide, refit} = overlay();
    const promoted = entry.mark?.provenance === "promoted";  // an ad opens on the ad reasons
    return reporting.picker({platform: state.config.platform, id: entry.id, kind: entry.mark?.kind, promoted}, {
      send, button, onCancel: () => hide(), refit: () => refit(),
      onSubmit: safe((choice, description, kind) => submitReport(entry, choice, description, kind)),
    });
  }

  const nextFrame = () => new Promise((resolve) => {
    requestAnimationFrame(() => resolve());
    setTimeout(resolve, 100);  // rAF does not run in background tabs
  });

  // One call per click: one client_request_id, so the service stores one report for it.
  async function submitReport(entry, choice, description, kind) {
    const clientRequestId = reporting.newRequestId();
    overlay().hide();
    await nextFrame();
    await nextFrame();  // the screenshot shows the page, not our menu
    const shot = await send("report-capture");
    overlay().notify(t("reportSending"));
    const reply = await send("report-submit", {platform: state.config.platform, item_id: entry.id, kind,
      category: choice.category, description, client_request_id: clientRequestId,
      screenshot: shot.ok ? shot.data.screenshot : null});
    await reportOutcome(reply);
  }

  async function reportOutcome(reply) {
    if (!reply.ok) {
      const reason = C.why.failureReason(reply, t);
      overlay().notify(reply.status === 429 ? t("reportToastTooMany", reason) : t("toastFailed", reason));
      return;
    }
    const {report, request} = reply.data;
    if (report.status === "manual" && request) {
      await finishManually(request);
      return;
    }
    const history = {label: t("reportHistory"), onClick: () => send("report-history")};
    overlay().notify(C.why.reportedText(report, t), null, report.status === "failed" ? [history] : []);
  }

  // The user finishes on the platform's own page; the text to paste is on the clipboard.
  async function finishManually(request) {
    const copy = () => reporting.copy(request.text || "", overlay().scratch);
    const copied = request.text ? await copy() : false;
    if (request.manual_url) await send("report-open", {url: request.manual_url});
    const again = {label: t("reportCopy"), onClick: copy};
    overlay().notify(t(copied || !request.text ? "reportToast_manual" : "reportToast_manualNotCopied"),
      null, request.text ? [again] : []);
  }

  return {menu};
})();
