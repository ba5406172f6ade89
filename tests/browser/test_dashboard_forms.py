"""Every dashboard form submitted in real Chromium, in English and Chinese, against a fresh
`feedlens run`: each form's success path and an inline error for bad input, and a form posted
from another origin refused. Screenshots of the pages go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_until

from .conftest import launch, start_feedlens
from .dashboard_support import (ForeignSite, ask_time, no_validation, notice, printed_link, shoot,
                                submit, words)

pytestmark = pytest.mark.browser

PIN_FORM = "#pin-form"
DEVICE_FORM = 'form[action="/parent/device"]'
GRANT_FORM = 'form[action="/parent/grant"]'
RENAME_FORM = 'form[action="/parent/rename"]'
DECIDE_FORM = 'form[action^="/parent/requests/"]'
AUDIT_FORM = 'form[action^="/research/audit?"]'
PARTICIPANT = "/research/participant"


@pytest.fixture(params=["en", "zh"])
def dash(request, playwright_instance, site, site_certs, tmp_path_factory):
    """(feedlens, page logged in through the printed link, lang, base URL)."""
    lang = request.param
    tmp = tmp_path_factory.mktemp(f"forms-{lang}")
    feedlens = start_feedlens(tmp, site, site_certs)
    browser = launch(playwright_instance, tmp / "chromium", lang="zh-CN" if lang == "zh" else "en-US")
    page = browser.new_page()
    page.goto(printed_link(feedlens))
    base = f"http://127.0.0.1:{feedlens.service_port}"
    assert page.url.rstrip("/") == base  # logged in, the token gone from the address bar
    yield feedlens, page, lang, base
    browser.context.close()
    feedlens.proc.stop()
    assert not browser.errors, browser.errors


def recovery_code_shown(page, t) -> str:
    """After a PIN is saved: the page with the recovery code, shown once; then back to /parent."""
    assert notice(page) == (t("parent.notice.pin_saved"), False)
    code = page.locator("#recovery-code").inner_text().strip()
    assert len(code) >= 8 and code not in page.url  # on the page, never in the address
    with page.expect_navigation():
        page.locator(f'a[href^="/parent"]').last.click()
    return code


def test_every_parent_form(dash):
    feedlens, page, lang, base = dash
    t = words(lang)
    wait_until(feedlens.ca.exists, 30, "the mitmproxy CA")
    ask_time(feedlens, 20, "homework video")
    ask_time(feedlens, 15, "one more")
    page.goto(f"{base}/parent?lang={lang}")

    submit(page, PIN_FORM, {"new_pin": "1357", "confirm_pin": "1358"})
    assert notice(page) == (t("parent.notice.pin_mismatch"), True)
    submit(page, PIN_FORM, {"new_pin": "1357", "confirm_pin": "1357"})
    first_code = recovery_code_shown(page, t)
    submit(page, PIN_FORM, {"pin": "0000", "new_pin": "2468", "confirm_pin": "2468"})
    assert notice(page) == (t("parent.notice.wrong_pin"), True)
    submit(page, PIN_FORM, {"pin": "1357", "new_pin": "2468", "confirm_pin": "2468"})
    assert recovery_code_shown(page, t) != first_code  # every new PIN gets a new code
    pin = "2468"

    submit(page, DEVICE_FORM, {"profile": "no-ads", "pin": "1111"})
    assert notice(page) == (t("parent.notice.wrong_pin"), True)
    submit(page, DEVICE_FORM, {"profile": "no-ads", "pin": pin})
    assert notice(page) == (t("parent.notice.done"), False)
    assert page.locator(f"{DEVICE_FORM} select").input_value() == "no-ads"  # preselected now

    submit(page, GRANT_FORM, {"minutes": "10", "pin": ""})
    assert notice(page) == (t("parent.notice.no_pin"), True)
    submit(page, GRANT_FORM, {"minutes": "10", "pin": pin})
    assert notice(page) == (t("parent.notice.done"), False)

    submit(page, RENAME_FORM, {"label": "Kid tablet", "pin": "9999"})
    assert notice(page) == (t("parent.notice.wrong_pin"), True)
    submit(page, RENAME_FORM, {"label": "Kid tablet", "pin": pin})
    assert notice(page) == (t("parent.notice.renamed"), False)
    assert "Kid tablet (addr:127.0.0.1)" in page.inner_text("main")

    submit(page, DECIDE_FORM, {"minutes": "25", "pin": "0001"})  # the first request's approve
    assert notice(page) == (t("parent.notice.wrong_pin"), True)
    submit(page, DECIDE_FORM, {"minutes": "25", "pin": pin})
    assert notice(page) == (t("parent.notice.done"), False)
    decline = f'{DECIDE_FORM}:has(input[name=approve][value="0"])'
    submit(page, decline, {"pin": pin})
    assert notice(page) == (t("parent.notice.done"), False)
    assert t("parent.no_requests") in page.inner_text("main")
    shoot(page, f"parent-{lang}")

    status, overview = feedlens.api("/api/minors/overview")
    [device] = overview["devices"]
    assert (device["label"], device["profile"]) == ("Kid tablet", "no-ads")
    assert device["usage"]["extra_minutes"] == 10 + 25


def test_every_research_form(dash):
    feedlens, page, lang, base = dash
    t = words(lang)
    page.goto(f"{base}/research?lang={lang}")
    form = page.locator(AUDIT_FORM)
    form.locator("select[name=platform] option").first.evaluate("o => { o.value = 'nope'; }")
    submit(page, AUDIT_FORM)
    assert notice(page) == (t("forms.audit.bad_input"), True)
    submit(page, AUDIT_FORM, {"platform": "bilibili", "note": "browser test"})
    assert notice(page) == (t("forms.audit.started"), False)
    submit(page, 'form[action*="/condition"]')
    assert notice(page) == (t("forms.audit.switched"), False)
    [session] = feedlens.api("/api/research/audit")[1]["sessions"]
    assert (session["platform"], session["condition"], session["note"]) == ("bilibili", "off",
                                                                           "browser test")
    submit(page, 'form[action*="/finish"]')
    assert page.url.startswith(f"{base}/research/audit/1")
    [session] = feedlens.api("/api/research/audit")[1]["sessions"]
    assert session["finished"] is not None
    page.goto(f"{base}/research?lang={lang}")
    shoot(page, f"research-{lang}")

    page.goto(f"{base}{PARTICIPANT}?lang={lang}")
    consent = f'form[action^="{PARTICIPANT}/consent"]'
    no_validation(page, consent)
    submit(page, consent, {"study_id": "", "consent_version": "1", "retention_days": "30"})
    assert notice(page)[1] is True
    submit(page, consent, {"study_id": "feeds-2026", "consent_version": "1", "retention_days": "30",
                           "field_title": True})
    assert notice(page) == (t("participant.notice.consented", n=0, field="", rule=""), False)
    submit(page, f'form[action^="{PARTICIPANT}/pause"]')
    assert notice(page) == (t("participant.notice.paused", n=0, field="", rule=""), False)
    submit(page, f'form[action^="{PARTICIPANT}/pause"]')
    assert notice(page) == (t("participant.notice.resumed", n=0, field="", rule=""), False)
    delete = f'form[action^="{PARTICIPANT}/delete"]'
    no_validation(page, delete)
    submit(page, delete, button='button[value="all"]')  # without the confirmation box
    assert notice(page) == (t("participant.notice.confirm", n=0, field="", rule=""), True)
    submit(page, delete, {"confirm": True}, button='button[value="all"]')
    assert notice(page) == (t("participant.notice.deleted", n=0, field="", rule=""), False)
    shoot(page, f"participant-{lang}")
    submit(page, f'form[action^="{PARTICIPANT}/disable"]')
    assert notice(page) == (t("participant.notice.withdrawn", n=0, field="", rule=""), False)
    assert feedlens.api("/api/research")[1]["enabled"] is False


def test_the_overview_and_reports_pages(dash):
    feedlens, page, lang, base = dash
    t = words(lang)
    page.goto(f"{base}/?lang={lang}")
    assert t("setup.heading") in page.inner_text("body")
    shoot(page, f"overview-{lang}")
    page.goto(f"{base}/reports?lang={lang}")
    assert page.locator("form[method=post]").count() == 0  # the reports pages have no forms
    shoot(page, f"reports-{lang}")


def test_a_form_from_another_origin_is_refused(dash):
    feedlens, page, lang, base = dash
    wait_until(feedlens.ca.exists, 30, "the mitmproxy CA")
    ask_time(feedlens, 20, "x")  # the device exists
    page.goto(f"{base}/parent?lang={lang}")
    csrf = page.locator(f'{GRANT_FORM} input[name=csrf]').get_attribute("value")
    # Even with a valid csrf value and the cookie (another port is the same site), no.
    with ForeignSite(f"{base}/parent/grant", {"csrf": csrf, "device": "addr:127.0.0.1",
                                              "minutes": "50", "pin": ""}) as evil:
        page.goto(evil.url)
        with page.expect_navigation() as navigation:
            page.click("#go")
        assert navigation.value.status == 403
    status, overview = feedlens.api("/api/minors/overview")
    [device] = overview["devices"]
    assert device["usage"]["extra_minutes"] == 0
    assert [e for e in overview["audit"] if e["route"] == "minors_grant"] == []


def test_every_rules_form(dash):
    feedlens, page, lang, base = dash
    t = words(lang)
    page.goto(f"{base}/rules?lang={lang}")
    choose = 'form[action="/rules/active"]'
    page.locator(f'{choose} input[name=profile][value="no-ads"]').evaluate("r => { r.value = 'nope'; }")
    page.check(f'{choose} input[name=profile][value="nope"]')
    submit(page, choose)
    assert notice(page) == (t("rules_page.notice.not_found"), True)
    page.check(f'{choose} input[name=profile][value="no-ads"]')
    submit(page, choose)
    assert notice(page) == (t("rules_page.notice.done"), False)
    assert feedlens.api("/api/health")[1]["profile"]["active"] == "no-ads"

    page.fill("textarea[name=draft]", "id: bad\nwhen: {provenance: personalised}\naction: hide\n")
    with page.expect_navigation():
        page.click('form[action="/rules"] button')
    assert "personalized" in page.inner_text("ul.errors")  # the loader's suggestion, inline
    assert page.locator('form[action="/rules/add"]').count() == 0  # nothing to add yet
    page.fill("textarea[name=draft]", "id: no-search\nwhen: {provenance: search}\naction: hide\n")
    with page.expect_navigation():
        page.click('form[action="/rules"] button')
    submit(page, 'form[action="/rules/add"]')
    assert notice(page) == (t("rules_page.notice.added"), False)
    assert "no-search" in my_rule_ids(feedlens)
    shoot(page, f"rules-forms-{lang}")

    remove = 'form[action="/rules/remove"]'
    page.locator(f"{remove} input[name=id]").evaluate("e => { e.value = 'never-added'; }")
    submit(page, remove)
    assert notice(page) == (t("rules_page.notice.not_found"), True)
    submit(page, remove)
    assert notice(page) == (t("rules_page.notice.removed"), False)
    assert "no-search" not in my_rule_ids(feedlens)


def my_rule_ids(feedlens) -> list[str]:
    return [rule["id"] for rule in feedlens.api("/api/my-rules")[1]["rules"]]
