"""First run like Jupyter: the link `feedlens run` prints logs Chromium in (once), and the
overview's setup checklist turns green step by step from what the proxy observes: a proxied
Chromium without the CA (TLS fails: red, "does not trust"), then one with it (trusted, a
feed seen, the extension paired)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_until

from .conftest import launch, open_feed, proxied_browser, start_feedlens
from .dashboard_support import printed_link, shoot, words

pytestmark = pytest.mark.browser


def steps(page) -> dict[str, str]:
    return {key: page.get_attribute(f"#step-{key}", "data-state")
            for key in ("proxy", "ca", "feed", "extension")}


def wait_steps(page, expected: dict[str, str], what: str) -> dict[str, str]:
    def reached():
        page.reload()
        found = steps(page)
        return found if all(found[k] == v for k, v in expected.items()) else None
    return wait_until(reached, 30, what, interval=0.5)


@pytest.fixture
def fresh(site, site_certs, tmp_path_factory):
    feedlens = start_feedlens(tmp_path_factory.mktemp("first-run"), site, site_certs)
    yield feedlens
    feedlens.proc.stop()


def test_the_printed_link_logs_in_once_and_the_checklist_turns_green(playwright_instance, fresh,
                                                                      tmp_path_factory):
    t = words("en")
    link, base = printed_link(fresh), f"http://127.0.0.1:{fresh.service_port}"
    wait_until(fresh.ca.exists, 30, "the mitmproxy CA")
    without_ca = launch(playwright_instance, tmp_path_factory.mktemp("no-ca"),
                        proxy_port=fresh.proxy_port)
    page = without_ca.new_page()
    page.goto(link)
    assert page.url == base + "/"  # logged in; the token is gone from the address bar
    assert steps(page) == dict.fromkeys(("proxy", "ca", "feed", "extension"), "todo")
    assert t("setup.reason.no_traffic") in page.inner_text("#status")
    assert "No problems" not in page.inner_text("body")
    shoot(page, "setup-1-first-run-en")

    feed = without_ca.new_page()
    with pytest.raises(Exception, match="ERR_CERT"):
        feed.goto("https://www.bilibili.com/")
    wait_steps(page, {"proxy": "done", "ca": "bad"}, "the CA step to turn red")
    assert "127.0.0.1 does not trust the feedlens CA" in page.inner_text("#step-ca")
    assert t("setup.reason.untrusted", clients="127.0.0.1") in page.inner_text("#status")
    assert page.locator("#status .verdict.bad").count() == 1
    shoot(page, "setup-2-untrusted-en")
    without_ca.context.close()

    with_ca = proxied_browser(playwright_instance, fresh, tmp_path_factory.mktemp("ca"), "en-US")
    try:
        page = with_ca.new_page()
        spent = page.goto(link)
        assert spent.status == 401  # one-time: the printed link opened once, and only once
        assert page.goto(f"{base}/?token={fresh.token}").status == 401  # never in a URL
        page.goto(fresh.login_link())  # `feedlens dashboard`'s fresh one-time link
        assert page.url == f"{base}/"  # nothing secret left in the address bar or history
        open_feed(with_ca, "bilibili")
        found = wait_steps(page, {"ca": "done", "feed": "done", "extension": "done"},
                           "the checklist to turn green")
        assert found["proxy"] == "done"
        assert "bilibili" in page.inner_text("#step-feed")
        assert t("setup.all_done") in page.inner_text("#setup")
        assert t("dashboard.no_problems") in page.inner_text("#status")
        shoot(page, "setup-3-all-green-en")
    finally:
        with_ca.context.close()
