"""The one vocabulary of feed item classes: ids, labels per UI language, colours; and the
words of the two item facets, format and relation (feedlens.item_format).

Read from `vocabulary.yaml` shipped with the rules (feedlens.rules). The message catalogues
get their `common.provenance.*`, `common.format.*` and `common.relation.*` labels from here
(i18n), the pages and the research charts their colours (css()), the extension a generated copy
of the classes (extension/build.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from . import paths, yamlsrc
from .item_format import FACETS
from .model import Provenance

LANGS = {"en": "en", "zh": "zh-CN"}  # UI language → the vocabulary's label key


class VocabularyError(ValueError):
    """vocabulary.yaml does not name exactly the schema's classes, each with labels and colour."""


@dataclass(frozen=True)
class ItemClass:
    id: str
    colour: str
    labels: dict[str, str]  # {"en": …, "zh-CN": …}


@dataclass(frozen=True)
class Term:
    """One value of a facet (a format or a relation) and its words."""

    id: str
    labels: dict[str, str]  # {"en": …, "zh-CN": …}


@cache
def _data() -> dict:
    path = paths.bundled_rules_dir() / "vocabulary.yaml"
    return yamlsrc.parse(path.read_text(encoding="utf-8"), str(path)).data


@cache
def classes() -> tuple[ItemClass, ...]:
    found = tuple(ItemClass(c["id"], c["colour"], dict(c["label"])) for c in _data()["classes"])
    ids = [c.id for c in found]
    if sorted(ids) != sorted(p.value for p in Provenance):
        raise VocabularyError(f"vocabulary.yaml: classes {ids} are not the schema's "
                              f"{[p.value for p in Provenance]}")
    for c in found:
        if set(c.labels) != set(LANGS.values()):
            raise VocabularyError(f"vocabulary.yaml: class {c.id} needs labels {sorted(LANGS.values())}")
    return found


@cache
def terms(facet: str) -> tuple[Term, ...]:
    """The words of every value of `facet` ("format" or "relation"), in item_format's order."""
    key = {"format": "formats", "relation": "relations"}[facet]
    found = tuple(Term(t["id"], dict(t["label"])) for t in _data().get(key) or ())
    if tuple(t.id for t in found) != FACETS[facet]:
        raise VocabularyError(f"vocabulary.yaml: {key} {[t.id for t in found]} are not "
                              f"item_format's {list(FACETS[facet])}, in that order")
    for t in found:
        if set(t.labels) != set(LANGS.values()):
            raise VocabularyError(f"vocabulary.yaml: {facet} {t.id} needs labels {sorted(LANGS.values())}")
    return found


def term_label(facet: str, value: str | None, lang: str) -> str:
    """A format's or relation's word in a UI language (an unknown id as it is)."""
    by_id = {t.id: t for t in terms(facet)}
    value = "unknown" if value is None else value
    return by_id[value].labels[LANGS.get(lang, "en")] if value in by_id else value


def label(class_id: str, lang: str) -> str:
    by_id = {c.id: c for c in classes()}
    return by_id[class_id].labels[LANGS.get(lang, "en")] if class_id in by_id else class_id


def colour(class_id: str) -> str | None:
    return next((c.colour for c in classes() if c.id == class_id), None)


def css(prefix: str, prop: str) -> str:
    """One rule per class, e.g. css("p-", "background") → `.p-followed { background: #… }`."""
    return "\n".join(f".{prefix}{c.id} {{ {prop}: {c.colour}; }}" for c in classes())


def markdown_table() -> str:
    """The table docs/vocabulary.md carries (tests/test_vocabulary.py keeps it in step)."""
    rows = ["| class | English | 中文 | colour |", "|---|---|---|---|"]
    rows += [f"| `{c.id}` | {c.labels['en']} | {c.labels['zh-CN']} | `{c.colour}` |" for c in classes()]
    return "\n".join(rows) + "\n"


def terms_markdown_table() -> str:
    """The formats' and relations' words, as docs/vocabulary.md carries them."""
    rows = ["| facet | value | English | 中文 |", "|---|---|---|---|"]
    rows += [f"| {facet} | `{t.id}` | {t.labels['en']} | {t.labels['zh-CN']} |"
             for facet in FACETS for t in terms(facet)]
    return "\n".join(rows) + "\n"
