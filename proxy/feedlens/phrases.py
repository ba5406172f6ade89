"""Weighted phrase lists (rules/phrases/*.yaml), scored the way e2guardian scores pages.

Each file holds one category (e.g. `cn.bad.gore_shock`) with phrases in zh and en and an
integer weight each. An item's score in a category is the sum of the weights of the distinct
phrases found in its title, text, author and parts, after NFKC + case folding. Negative
weights give context ("血腥玛丽" is a cocktail, "kill time" is harmless) and pull a score down.

All phrases of a library are compiled once into one RE2 set, which reports every phrase that
occurs (overlaps included) in one linear-time pass over the text. Phrases that start or end
with an ASCII letter or digit match on word boundaries there ("kill" does not fire in
"skill"); a trailing `*` drops the end boundary ("suicid*" matches "suicidal"). Chinese needs
no boundaries and gets none.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import re2

from . import paths, schema
from .textmatch import normalize
from .yamlsrc import YamlError, load

DIR_NAME = "phrases"

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 64 << 20


class PhraseError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class PhraseList:
    category: str
    title: str
    path: str
    weights: dict[str, int]  # normalised phrase (with its `*` if any) -> weight
    names: dict[str, str] = field(default_factory=dict)
    cases: list[dict] = field(default_factory=list)

    def name(self, lang: str) -> str:
        return self.names.get("zh" if lang.startswith("zh") else "en") or self.category


def phrase_pattern(phrase: str) -> str:
    """The RE2 pattern of one normalised phrase (word boundaries on ASCII word ends)."""
    open_end = phrase.endswith("*")
    core = phrase[:-1] if open_end else phrase
    pattern = re2.escape(core)
    if core[:1].isascii() and core[:1].isalnum():
        pattern = r"\b" + pattern
    if not open_end and core[-1:].isascii() and core[-1:].isalnum():
        pattern += r"\b"
    return pattern


class PhraseLibrary:
    """Every phrase list of one directory, compiled into one RE2 set."""

    def __init__(self, lists: list[PhraseList]):
        self.lists = {p.category: p for p in lists}
        self._entries: list[tuple[str, int]] = []
        self._set = re2.Set.SearchSet(_OPTIONS)
        for phrase_list in lists:
            for phrase, weight in phrase_list.weights.items():
                if self._set.Add(phrase_pattern(phrase)) != len(self._entries):
                    raise PhraseError([f"{phrase_list.path}: phrase {phrase!r} cannot be compiled"])
                self._entries.append((phrase_list.category, weight))
        if self._entries and self._set.Compile() is False:
            raise PhraseError(["phrase lists: RE2 could not compile the phrase set (too large?)"])

    def expand(self, patterns: list[str]) -> tuple[set[str], list[str]]:
        """Category ids named by `patterns` (`cn.bad.*` names a family), and unknown names."""
        found, unknown = set(), []
        for pattern in patterns:
            if pattern.endswith(".*"):
                family = {c for c in self.lists if c.startswith(pattern[:-1])}
            else:
                family = {pattern} & self.lists.keys()
            if not family:
                unknown.append(pattern)
            found |= family
        return found, unknown

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (libraries live as long as the process)
    def scores(self, text: str) -> dict[str, int]:
        """Score per category of already-normalised text; categories without a hit are absent."""
        out: dict[str, int] = {}
        if not self._entries or not text:
            return out
        for index in self._set.Match(text) or ():
            category, weight = self._entries[index]
            out[category] = out.get(category, 0) + weight
        return out

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (each rule of a profile asks again)
    def score_fields(self, *fields: str | None) -> dict[str, int]:
        return self.scores(normalize("\n".join(f for f in fields if f)))


def _read(path: Path) -> PhraseList:
    try:
        source = load(path)
    except YamlError as exc:
        raise PhraseError([str(exc)]) from None
    errors = schema.validate(source, "phrases")
    if errors:
        raise PhraseError(errors)
    data = source.data
    weights: dict[str, int] = {}
    for lang, table in data["phrases"].items():
        for phrase, weight in table.items():
            key = normalize(str(phrase)).strip()
            if not key.rstrip("*"):
                raise PhraseError([source.at(("phrases", lang, phrase), "empty phrase")])
            weights[key] = weight
    return PhraseList(category=data["category"], title=data["title"], path=str(path),
                      weights=weights, names=data.get("names", {}), cases=data.get("cases", []))


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                 for p in sorted(directory.glob("*.yaml")))


@functools.lru_cache(maxsize=8)
def _load(directory: Path, stamp: tuple) -> PhraseLibrary:
    lists, errors, seen = [], [], {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            phrase_list = _read(path)
        except PhraseError as exc:
            errors.extend(exc.messages)
            continue
        if phrase_list.category in seen:
            errors.append(f"{path}:1: category {phrase_list.category!r} is already defined in "
                          f"{seen[phrase_list.category]}")
            continue
        seen[phrase_list.category] = path
        lists.append(phrase_list)
    if errors:
        raise PhraseError(errors)
    return PhraseLibrary(lists)


def load_library(directory: str | Path) -> PhraseLibrary:
    """The compiled library of a directory; compiled again only when a file there changed."""
    directory = Path(directory).resolve()
    return _load(directory, _stamp(directory) if directory.is_dir() else ())


def library_for(profile_path: str | Path | None) -> PhraseLibrary:
    """The phrase lists beside a profile's rules dir (`<rules>/phrases`), else the bundled ones."""
    if profile_path:
        beside = Path(profile_path).resolve().parent.parent / DIR_NAME
        if beside.is_dir():
            return load_library(beside)
    return load_library(paths.rules_dir() / DIR_NAME)


def check_cases(library: PhraseLibrary) -> list[str]:
    """Run each list's inline cases: the list's own score must be within [min, max]."""
    failures = []
    for phrase_list in library.lists.values():
        for case in phrase_list.cases:
            score = library.score_fields(case.get("title"), case.get("text"), case.get("author"))
            got = score.get(phrase_list.category, 0)
            if got < case.get("min", got) or got > case.get("max", got):
                failures.append(f"{phrase_list.path}: case {case} scored {got} in "
                                f"{phrase_list.category}")
    return failures
