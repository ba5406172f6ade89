"""The user-facing words of feedlens: one message catalogue per language, loaded once.

The catalogues are YAML files in `feedlens/messages/` (en.yaml, zh-CN.yaml), nested mappings
whose leaves are strings; a message's key is its path joined by dots
(`dashboard.health`). Placeholders are named, `{minutes}`, filled by `str.format`.
This module is core: the companion service and the proxy's block page (a feature) both use
it, so neither has to import the other.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

from . import vocabulary, yamlsrc

LANGUAGES = ("en", "zh")  # the two UI languages, as language.pick_language names them
FILES = {"en": "en.yaml", "zh": "zh-CN.yaml"}
HTML_LANG = {"en": "en", "zh": "zh-CN"}  # the <html lang> of a page in each language


class CatalogueError(ValueError):
    """A catalogue file that is not a mapping of strings."""


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        elif isinstance(value, str):
            out[path] = value
        else:
            raise CatalogueError(f"{path}: a message must be a string, not {type(value).__name__}")
    return out


@cache
def messages(lang: str) -> dict[str, str]:
    """All messages of a language, by dotted key (read from the package once per process)."""
    text = resources.files(__package__).joinpath("messages", FILES[lang]).read_text("utf-8")
    tree = yamlsrc.parse(text, FILES[lang]).data
    if not isinstance(tree, dict):
        raise CatalogueError(f"{FILES[lang]}: the catalogue must be a mapping")
    flat = _flatten(tree)
    # the classes' labels have one source, shared with the extension and the docs
    flat.update({f"common.provenance.{c.id}": vocabulary.label(c.id, lang) for c in vocabulary.classes()})
    for facet in ("format", "relation"):
        flat.update({f"common.{facet}.{t.id}": vocabulary.term_label(facet, t.id, lang)
                     for t in vocabulary.terms(facet)})
    return flat


def placeholders(message: str) -> set[str]:
    """The named fields of a message: {'minutes'} for 'Asked for {minutes} more minutes'."""
    return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}


class Translator:
    """`t(key, **params)` for one language; `t.get(key, fallback)` for keys made from data
    (a provenance, a status) that may have no message."""

    def __init__(self, lang: str):
        self.lang = lang if lang in FILES else "en"
        self.html_lang = HTML_LANG[self.lang]
        self._messages = messages(self.lang)

    def __call__(self, key: str, **params) -> str:
        message = self._messages[key]  # a missing key is a bug: KeyError, caught by the tests
        return message.format(**params) if params else message

    def get(self, key: str, fallback: str, **params) -> str:
        return self(key, **params) if key in self._messages else fallback

    def has(self, key: str) -> bool:
        return key in self._messages


def translator(lang: str) -> Translator:
    return Translator(lang)


def t(lang: str, key: str, **params) -> str:
    """One message, for code outside templates (JSON texts, the block page's title)."""
    return Translator(lang)(key, **params)
