"""One vocabulary, one palette: the service, the research charts, the title prefixes, the
extension and the docs name and colour the item classes from rules/vocabulary.yaml only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from feedlens import i18n, vocabulary
from feedlens.item_format import FORMATS, RELATIONS
from feedlens.model import Provenance
from feedlens.profiles import MARK_ONLY
from feedlens.research.charts import palette_css
from feedlens.service import render

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "extension"
TEMPLATES = ROOT / "proxy" / "feedlens" / "service" / "templates"
CLASSES = vocabulary.classes()


def generated_vocabulary() -> dict:
    """extension/generated/vocabulary.js's object, read as JSON."""
    text = (EXT / "generated" / "vocabulary.js").read_text(encoding="utf-8")
    body = text.split("Object.freeze(", 1)[1].rsplit(");", 1)[0]
    body = re.sub(r"^(\s*)(order|classes|format|relation):", r'\1"\2":', body, flags=re.M)
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", body))


def test_the_vocabulary_names_exactly_the_schema_classes():
    assert sorted(c.id for c in CLASSES) == sorted(p.value for p in Provenance)


def test_extension_uses_the_same_names_and_colours():
    data = generated_vocabulary()
    assert data["order"] == [c.id for c in CLASSES]
    for c in CLASSES:
        assert data["classes"][c.id] == {"color": c.colour,
                                         "label": {"en": c.labels["en"], "zh": c.labels["zh-CN"]}}
    for facet, values in (("format", FORMATS), ("relation", RELATIONS)):  # the badge's format word
        assert list(data[facet]) == list(values)
        assert all(data[facet][v] == {"en": vocabulary.term_label(facet, v, "en"),
                                      "zh": vocabulary.term_label(facet, v, "zh")} for v in values)


@pytest.mark.parametrize("path", ["shared.js", "popup.js", "content.css", *[
    f"content/{p.name}" for p in (EXT / "content").glob("*.js")]])
def test_extension_code_hard_codes_no_class_colour(path):
    text = (EXT / path).read_text(encoding="utf-8").lower()
    assert not [c.colour for c in CLASSES if c.colour.lower() in text]


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_extension_locales_hold_no_second_copy_of_the_words(locale):
    messages = json.loads((EXT / "_locales" / locale / "messages.json").read_text(encoding="utf-8"))
    assert not [f"prov_{c.id}" for c in CLASSES if f"prov_{c.id}" in messages]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_service_labels_and_title_prefixes_come_from_the_vocabulary(lang):
    t = i18n.translator(lang)
    for c in CLASSES:
        word = c.labels[vocabulary.LANGS[lang]]
        assert t(f"common.provenance.{c.id}") == word
        assert word in MARK_ONLY.prefix_for(c.id, "zh-CN" if lang == "zh" else "en")


def test_service_css_and_charts_use_the_same_colours():
    assert render.palette_css is palette_css  # the pages put the charts' own palette in their CSS
    for c in CLASSES:
        assert f".c-{c.id} {{ fill: {c.colour}; }}" in palette_css()
        assert f".p-{c.id} {{ background: {c.colour}; }}" in vocabulary.css("p-", "background")
    for template in TEMPLATES.rglob("*"):
        if template.is_file():
            text = template.read_text(encoding="utf-8").lower()
            assert not re.search(r"\.[pc]-(" + "|".join(c.id for c in CLASSES) + r")\b", text), template


async def test_a_rendered_page_carries_the_palette(aiohttp_client, tmp_path):
    from tests.service_support import real_runtime, write_rules
    from feedlens.service import ServiceConfig, init_app
    runtime = real_runtime(tmp_path / "data", write_rules(tmp_path / "rules"))
    client = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))
    token = (tmp_path / "data" / "token").read_text().strip()
    text = await (await client.get("/rules", headers={"Authorization": f"Bearer {token}"})).text()
    for c in CLASSES:
        assert f".p-{c.id} {{ background: {c.colour}; }}" in text
        assert f".c-{c.id} {{ fill: {c.colour}; }}" in text


def test_docs_table_is_the_vocabulary():
    assert vocabulary.markdown_table() in (ROOT / "docs" / "vocabulary.md").read_text(encoding="utf-8")


def _luminance(colour: str) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("item_class", CLASSES, ids=[c.id for c in CLASSES])
def test_white_text_on_each_colour_passes_wcag_aa(item_class):
    assert 1.05 / (_luminance(item_class.colour) + 0.05) >= 4.5


# ---- formats and relations -------------------------------------------------------------------

def test_format_and_relation_words_name_exactly_the_vocabularies_in_order():
    from feedlens.item_format import FORMATS, RELATIONS
    assert tuple(t.id for t in vocabulary.terms("format")) == FORMATS
    assert tuple(t.id for t in vocabulary.terms("relation")) == RELATIONS
    for facet in ("format", "relation"):
        for term in vocabulary.terms(facet):
            assert term.labels["en"].strip() and term.labels["zh-CN"].strip()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_service_format_and_relation_labels_come_from_the_vocabulary(lang):
    t = i18n.translator(lang)
    for facet in ("format", "relation"):
        for term in vocabulary.terms(facet):
            assert t(f"common.{facet}.{term.id}") == term.labels[vocabulary.LANGS[lang]]
    assert vocabulary.term_label("format", None, lang) == t("common.format.unknown")  # logged before formats


def test_a_vocabulary_file_out_of_step_with_item_format_is_refused(tmp_path, monkeypatch):
    import yaml
    data = yaml.safe_load((ROOT / "rules" / "vocabulary.yaml").read_text(encoding="utf-8"))
    data["formats"] = [f for f in data["formats"] if f["id"] != "poll"]
    (tmp_path / "vocabulary.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(vocabulary.paths, "bundled_rules_dir", lambda: tmp_path)
    vocabulary._data.cache_clear()
    vocabulary.terms.cache_clear()
    try:
        with pytest.raises(vocabulary.VocabularyError, match="poll"):
            vocabulary.terms("format")
    finally:
        vocabulary._data.cache_clear()
        vocabulary.terms.cache_clear()


def test_docs_table_of_formats_and_relations_is_the_vocabulary():
    assert vocabulary.terms_markdown_table() in (ROOT / "docs" / "vocabulary.md").read_text(encoding="utf-8")
