// The background's side of "a confirmed revert raises a notification" (issue 22): every minute
// (an alarm, so a stopped service worker is woken) ask GET /api/choices, let choice-notify.js
// say which confirmed reverts are new since the mark kept in storage, and show one notification
// per platform. Clicking it opens the dashboard's "Your choices" page (/choices). Loaded before background.js: it calls that file's
// api() and openDashboard() (function declarations, global from the start) only when an event comes.
"use strict";

(() => {
  const {browser} = globalThis.feedlensCompat;
  const ALARM = "feedlens-choices";
  const PREFIX = "feedlens-choice-";
  const MARK = "choiceNotified";
  const CHOICES_PAGE = "/choices";
  if (!browser.alarms || !browser.notifications) return;  // without the permissions: nothing

  async function checkChoices() {
    let data;
    try {
      data = await api("/api/choices");
    } catch {
      return;  // not paired or the service is off: nothing to tell, try again next time
    }
    const {[MARK]: mark = null} = await browser.storage.local.get(MARK);
    const {alerts, mark: next} = globalThis.feedlensChoiceNotify.check(data, mark);
    await browser.storage.local.set({[MARK]: next});
    const lang = browser.i18n.getUILanguage();
    for (const alert of alerts) {
      const name = globalThis.feedlensChoiceNotify.platformName(alert.platform, lang);
      await browser.notifications.create(PREFIX + alert.platform, {
        type: "basic", iconUrl: browser.runtime.getURL("icons/128.png"),
        title: browser.i18n.getMessage("notifyChoiceTitle", name),
        message: browser.i18n.getMessage("notifyChoiceReverted", name),
      });
    }
  }

  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === ALARM) checkChoices();
  });
  browser.notifications.onClicked.addListener((id) => {
    if (!id.startsWith(PREFIX)) return;
    browser.notifications.clear(id);
    openDashboard(CHOICES_PAGE);
  });
  browser.alarms.get(ALARM).then((alarm) => {
    if (!alarm) browser.alarms.create(ALARM, {delayInMinutes: 1, periodInMinutes: 1});
  });
  globalThis.feedlensChoiceWatch = {checkChoices};
})();
