"""The one vocabulary of feed item classes: ids, labels per UI language, colours.

Read from `vocabulary.yaml` shipped with the rules (feedlens.rules). The message catalogues
get their `common.provenance.*` labels from here (i18n), the pages and the research charts
their colours (css()), the extension a generated copy (extension/build.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from . import paths
from .model import Provenance

LANGS = {"en": "en", "zh": "zh-CN"}  # UI language → the vocabulary's label key


class VocabularyError(ValueError):
    """vocabulary.yaml does not name exactly the schema's classes, each with labels and colour."""


@dataclass(frozen=True)
class ItemClass:
    id: str
    colour: str
    labels: dict[str, str]  # {"en": …, "zh-CN": …}


@cache
def classes() -> tuple[ItemClass, ...]:
    text = (paths.bundled_rules_dir() / "vocabulary.yaml").read_text(encoding="utf-8")
    found = tuple(ItemClass(c["id"], c["colour"], dict(c["label"]))
                  for c in yaml.safe_load(text)["classes"])
    ids = [c.id for c in found]
    if sorted(ids) != sorted(p.value for p in Provenance):
        raise VocabularyError(f"vocabulary.yaml: classes {ids} are not the schema's "
                              f"{[p.value for p in Provenance]}")
    for c in found:
        if set(c.labels) != set(LANGS.values()):
            raise VocabularyError(f"vocabulary.yaml: class {c.id} needs labels {sorted(LANGS.values())}")
    return found


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
