"""The service's templates: autoescape is on, the words come from the message catalogue in
the page's language, and the shared macros render as the pages expect."""

from __future__ import annotations

import aiohttp_jinja2
import pytest
from aiohttp import web

from feedlens import i18n
from feedlens.service import ServiceConfig, init_app, render
from tests.service_support import auth, log_in, rules_dir, runtime, token  # noqa: F401 (fixtures)

pytestmark = pytest.mark.filterwarnings("error")


def environment():
    app = web.Application()
    render.setup(app)
    return aiohttp_jinja2.get_env(app)


def macros(lang: str = "en"):
    return environment().get_template("_macros.html").make_module(
        {"t": i18n.translator(lang), "csrf": lambda action: "c0ffee"})


def test_autoescape_is_on_for_every_template():
    env = environment()
    assert env.autoescape is True
    rendered = env.from_string("<p>{{ value }}</p>").render(value='<script>"x"</script>')
    assert rendered == "<p>&lt;script&gt;&#34;x&#34;&lt;/script&gt;</p>"


def test_the_data_table_fallback_escapes_and_lists_every_row():
    text = str(macros().data_table("Data", ["Day", "n"], [["<b>", 3], ["2026-11-20", 4]]))
    assert "<details" in text and "&lt;b&gt;" in text and "<td>4</td>" in text
    assert "<b>" not in text


def test_the_legend_names_provenances_from_the_catalogue():
    text = str(macros("zh").legend(["promoted", "brand_new"]))
    assert "广告" in text and 'class="c-promoted"' in text
    assert "brand_new" in text and 'class="c-other"' in text  # unknown: its own name, grey


def test_the_csrf_field_carries_the_value_for_its_action():
    assert str(macros().csrf_field("/parent/grant")) == \
        '<input type="hidden" name="csrf" value="c0ffee">'


# ---- pages through the app -----------------------------------------------------------------

@pytest.fixture
async def client(aiohttp_client, runtime):
    return await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path,keys", [
    ("/", ["dashboard.health", "dashboard.problems", "dashboard.no_problems",
           "dashboard.counter.responses_seen", "common.nav.reports"]),
    ("/reports", ["reports.title", "reports.intro", "reports.none", "reports.export_text"]),
    ("/research", ["research.title", "research.composition", "research.audit_intro",
                   "research.audit_steps.s3", "research.monthly"]),
])
async def test_pages_take_their_words_from_the_catalogue(client, token, path, keys, lang):
    entered = await log_in(client, token, lang)
    assert entered.status == 303
    response = await client.get(f"{path}?lang={lang}")
    text = await response.text()
    assert response.status == 200
    assert f'<html lang="{i18n.HTML_LANG[lang]}">' in text
    other = "en" if lang == "zh" else "zh"
    for key in keys:
        assert escaped(i18n.messages(lang)[key].split("{")[0]) in text, key
        assert escaped(i18n.messages(other)[key].split("{")[0]) not in text, key


def escaped(message: str) -> str:
    return message.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;") \
        .replace("<", "&lt;").replace(">", "&gt;")


async def test_the_locked_page_in_both_languages(client):
    en = await (await client.get("/?lang=en")).text()
    zh = await (await client.get("/?lang=zh")).text()
    assert escaped(i18n.messages("en")["dashboard.locked"]) in en
    assert escaped(i18n.messages("zh")["dashboard.locked"]) in zh
