"""The harness's way into the extension's service worker (Browser.in_worker) survives the worker
being stopped, as Chromium does to an idle MV3 worker after ~30 s: here it is stopped on purpose
through the DevTools protocol, and the next call reaches a fresh worker with the extension's
scripts loaded. (A CI run once hung on a plain evaluate in this harness; in_worker wakes the
worker with a message first, so a call never waits on a worker that nothing restarts.)"""

from __future__ import annotations

import pytest

from .conftest import launch

pytestmark = pytest.mark.browser


def test_in_worker_wakes_a_stopped_worker(playwright_instance, tmp_path):
    browser = launch(playwright_instance, tmp_path / "chromium")
    try:
        browser.in_worker("self.feedlensMark = 'first life'")
        page = browser.context.new_page()
        cdp = browser.context.new_cdp_session(page)
        cdp.send("ServiceWorker.enable")
        cdp.send("ServiceWorker.stopAllWorkers")
        # a fresh worker: the global set in its first life is gone, and the call returns
        assert browser.in_worker("self.feedlensMark || 'fresh'") == "fresh"
        assert browser.in_worker("typeof feedlensChoiceWatch.checkChoices") == "function"
    finally:
        browser.context.close()
