"""Preference profiles: the user's own rules, applied to the items of one response.

First matching rule wins, in file order. Actions `keep`, `label`, `blur`, `hide` and
`move_to_end` decide an item directly; `limit` keeps the first N matches of a response and
hides the rest; `chronological` keeps items and re-sorts them newest first; `allow_only`
keeps its matches and turns the fallback for unmatched items into `hide` (allowlist mode:
put the hide rules that must also apply to listed authors before it). `warn` is the warning
before display that the minors' rules ask for (Art 23): the item is blurred, with a notice
that names the phrase category that fired.

The `phrases` condition scores an item against weighted phrase lists (proxy/phrases.py) and
matches when a listed category reaches the threshold; the category id and score that fired
are added to the item's labels (`cn.bad.gore_shock`, `phrase_score=7`, and `warning` for warn:
only category ids carry dots, which is how the minors' counts find them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from . import schema
from .model import Item, Provenance
from .phrases import PhraseError, PhraseLibrary, library_for
from .textmatch import UnsafePattern, compile_regex, normalize
from .yamlsrc import Source, YamlError, load

Predicate = Callable[[Item, datetime], bool]

DEFAULT_PREFIXES = {
    "zh": {"personalized": "【推荐】", "popular": "【热门】", "promoted": "【广告】",
           "followed": "【关注】", "search": "【搜索】", "own": "【我的】", "unknown": "【未知】"},
    "en": {"personalized": "[Rec] ", "popular": "[Popular] ", "promoted": "[Ad] ",
           "followed": "[Following] ", "search": "[Search] ", "own": "[Mine] ", "unknown": "[?] "},
}


class ProfileError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(slots=True)
class Rule:
    id: str
    action: str
    matches: Predicate
    max: int | None
    text: str | None
    expires: date | None
    line: int
    cases: dict = field(default_factory=dict)
    evidence: PhraseCheck | None = None  # the `when.phrases` test, to say what fired

    def active(self, now: datetime) -> bool:
        return self.expires is None or now.date() <= self.expires


@dataclass
class Profile:
    name: str
    title: str
    version: str
    rules: list[Rule]
    title_prefix: str = "off"  # off | labelled | all
    prefixes: dict[str, str] = field(default_factory=dict)
    locked: bool = False
    path: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    def prefix_for(self, provenance: str, lang: str) -> str:
        if provenance in self.prefixes:
            return self.prefixes[provenance]
        table = DEFAULT_PREFIXES["zh" if lang.startswith("zh") else "en"]
        return table.get(provenance, "")


MARK_ONLY = Profile(name="default", title="Mark only", version="0", rules=[])


@dataclass(slots=True)
class Decision:
    action: str  # keep | label | blur | hide | move_to_end (warn decides blur)
    rule: str | None
    chronological: bool = False
    label_text: str | None = None


def decide(profile: Profile, items: list[Item], now: datetime) -> list[Decision]:
    """One decision per item, in order; `limit` counts within this response."""
    rules = [r for r in profile.rules if r.active(now)]
    allow_only = any(r.action == "allow_only" for r in rules)
    used: dict[str, int] = {}
    out = []
    for item in items:
        rule = next((r for r in rules if r.matches(item, now)), None)
        if rule is None:
            out.append(Decision("hide", "allow_only:unlisted") if allow_only else Decision("keep", None))
            continue
        category = _record_evidence(rule, item)
        out.append(_apply(rule, used, category))
    return out


def _record_evidence(rule: Rule, item: Item) -> str | None:
    """Label the item with the phrase category and score that made `rule` fire."""
    if rule.evidence is None:
        return None
    fired = rule.evidence.fired(item)
    if fired is None:  # the phrases test sat under any/not; nothing single to name
        return None
    category, score = fired
    _add_label(item, category)
    _add_label(item, f"phrase_score={score}")
    if rule.action == "warn":
        _add_label(item, "warning")
    return category


def _add_label(item: Item, label: str) -> None:
    if label not in item.labels:
        item.labels.append(label)


def _apply(rule: Rule, used: dict[str, int], category: str | None = None) -> Decision:
    if rule.action == "warn":
        notice = rule.text or f"[warning: {category or rule.id}] "
        return Decision("blur", rule.id, label_text=notice)
    if rule.action == "limit":
        used[rule.id] = used.get(rule.id, 0) + 1
        return Decision("keep" if used[rule.id] <= (rule.max or 0) else "hide", rule.id)
    if rule.action == "chronological":
        return Decision("keep", rule.id, chronological=True)
    if rule.action == "allow_only":
        return Decision("keep", rule.id)
    return Decision(rule.action, rule.id, label_text=rule.text)


# ---- compiling conditions -------------------------------------------------------------

def _as_set(value) -> set[str]:
    values = value if isinstance(value, list) else [value]
    return {str(v) for v in values}


def _in(attribute: str, value) -> Predicate:
    allowed = _as_set(value)
    return lambda item, now: str(getattr(item, attribute)) in allowed


def _author(value) -> Predicate:
    wanted = _as_set(value)
    folded = {normalize(v) for v in wanted}
    return lambda item, now: (item.author_id in wanted or item.author in wanted
                              or normalize(item.author) in folded)


def _item_text(item: Item) -> str:
    parts = [item.title, item.text] + [p.get("text") for p in item.parts]
    return normalize(" ".join(p for p in parts if p))


@dataclass(slots=True)
class PhraseCheck:
    """`phrases: {categories, threshold}`: some listed category scores at least threshold."""

    library: PhraseLibrary
    categories: frozenset[str]
    threshold: int

    def scores(self, item: Item) -> dict[str, int]:
        parts = [p.get("text") for p in item.parts]
        return self.library.score_fields(item.title, item.text, item.author, *parts)

    def fired(self, item: Item) -> tuple[str, int] | None:
        """The listed category with the highest score at or over the threshold."""
        hits = [(score, category) for category, score in self.scores(item).items()
                if category in self.categories and score >= self.threshold]
        if not hits:
            return None
        score, category = max(hits)
        return category, score

    def __call__(self, item: Item, now: datetime) -> bool:
        return self.fired(item) is not None


class PhraseSpecError(ValueError):
    pass


def _phrases(value: dict, library: PhraseLibrary) -> PhraseCheck:
    categories, unknown = library.expand(value["categories"])
    if unknown:
        known = ", ".join(sorted(library.lists)) or "none"
        raise PhraseSpecError(f"unknown phrase categories {', '.join(unknown)} (known: {known})")
    return PhraseCheck(library, frozenset(categories), int(value["threshold"]))


def _keywords(value) -> Predicate:
    words = [normalize(w) for w in _as_set(value) if w]
    return lambda item, now: any(w in _item_text(item) for w in words)


def _regex(value) -> Predicate:
    patterns = [compile_regex(p) for p in _as_set(value)]
    return lambda item, now: any(p.search(_item_text(item)) for p in patterns)


def _labels(value) -> Predicate:
    wanted = _as_set(value)
    return lambda item, now: bool(wanted.intersection(item.labels))


_TIME = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def _time(value: str) -> Predicate:
    h1, m1, h2, m2 = map(int, _TIME.match(value).groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2

    def within(item: Item, now: datetime) -> bool:
        minute = now.hour * 60 + now.minute
        return start <= minute < end if start <= end else (minute >= start or minute < end)
    return within


def compile_condition(spec: dict, library: Callable[[], PhraseLibrary] = lambda: library_for(None)
                      ) -> Predicate:
    checks: list[Predicate] = []
    for key in ("provenance", "platform", "surface", "kind", "endpoint"):
        if key in spec:
            checks.append(_in(key, spec[key]))
    if "author" in spec:
        checks.append(_author(spec["author"]))
    if "keywords" in spec:
        checks.append(_keywords(spec["keywords"]))
    if "regex" in spec:
        checks.append(_regex(spec["regex"]))
    if "labels" in spec:
        checks.append(_labels(spec["labels"]))
    if "time" in spec:
        checks.append(_time(spec["time"]))
    if "phrases" in spec:  # after the cheaper field tests
        checks.append(_phrases(spec["phrases"], library()))
    if "any" in spec:
        alternatives = [compile_condition(sub, library) for sub in spec["any"]]
        checks.append(lambda item, now: any(a(item, now) for a in alternatives))
    if "not" in spec:
        negated = compile_condition(spec["not"], library)
        checks.append(lambda item, now: not negated(item, now))
    return lambda item, now: all(check(item, now) for check in checks)


def _rule_predicate(spec: dict, library: Callable[[], PhraseLibrary]) -> Predicate:
    when = compile_condition(spec.get("when", {}), library)
    if "unless" not in spec:
        return when
    unless = compile_condition(spec["unless"], library)
    return lambda item, now: when(item, now) and not unless(item, now)


def _library_loader(path: str) -> Callable[[], PhraseLibrary]:
    """Loads the phrase library on first use only (most profiles have no phrases rule)."""
    loaded: list[PhraseLibrary] = []

    def get() -> PhraseLibrary:
        if not loaded:
            loaded.append(library_for(path))
        return loaded[0]
    return get


# ---- loading --------------------------------------------------------------------------

def compile_profile(source: Source, name: str | None = None) -> Profile:
    errors = schema.validate(source, "profile")
    if errors:
        raise ProfileError(errors)
    data = source.data
    rules, errors = [], []
    library = _library_loader(source.path)
    for index, spec in enumerate(data["rules"]):
        where = ("rules", index)
        try:
            predicate = _rule_predicate(spec, library)
            phrases = spec.get("when", {}).get("phrases")
            evidence = _phrases(phrases, library()) if phrases else None
        except (UnsafePattern, PhraseSpecError) as exc:
            errors.append(source.at(where, str(exc)))
            continue
        except PhraseError as exc:
            errors.extend(exc.messages)
            continue
        if spec["action"] == "limit" and "max" not in spec:
            errors.append(source.at(where, "action limit needs `max`"))
        expires = None
        if "expires" in spec:
            try:
                expires = date.fromisoformat(spec["expires"][:10])
            except ValueError:
                errors.append(source.at(where + ("expires",), f"bad date {spec['expires']!r}"))
        rules.append(Rule(id=spec["id"], action=spec["action"], matches=predicate,
                          max=spec.get("max"), text=spec.get("text"), expires=expires,
                          line=source.line(where), cases=spec.get("cases", {}),
                          evidence=evidence))
    ids = [r.id for r in rules]
    for index, rule_id in enumerate(ids):
        if rule_id in ids[:index]:
            errors.append(source.at(("rules", index, "id"), f"duplicate rule id {rule_id!r}"))
    if errors:
        raise ProfileError(errors)
    mark = data.get("mark", {})
    return Profile(
        name=name or Path(source.path).stem, title=data["title"], version=str(data["version"]),
        rules=rules, title_prefix=mark.get("title_prefix", "off"), prefixes=mark.get("prefixes", {}),
        locked=bool(data.get("locked", False)), path=source.path, raw=data,
    )


def load_profile(path: str | Path) -> Profile:
    try:
        source = load(path)
    except YamlError as exc:
        raise ProfileError([str(exc)]) from None
    return compile_profile(source)


# ---- inline cases ---------------------------------------------------------------------

_CASE_DEFAULTS = dict(platform="test", endpoint="case", surface="home", position=0, id="case",
                      kind="post")


def case_item(spec: dict) -> Item:
    values = dict(_CASE_DEFAULTS)
    values.update({k: v for k, v in spec.items() if k not in ("provenance", "time")})
    item = Item(**values)
    item.provenance = Provenance(spec.get("provenance", "unknown"))
    return item


def case_time(spec: dict) -> datetime:
    if "time" in spec:
        hour, minute = map(int, str(spec["time"]).split(":"))
        return datetime(2026, 1, 15, hour, minute)
    return datetime(2026, 1, 15, 12, 0)


def check_cases(profile: Profile) -> list[str]:
    """Run every rule's inline cases; messages name the file and line of the failing rule."""
    failures = []
    for rule in profile.rules:
        for expected, key in ((True, "match"), (False, "no_match")):
            for spec in rule.cases.get(key, []):
                try:
                    item, now = case_item(spec), case_time(spec)
                except (TypeError, ValueError) as exc:
                    failures.append(f"{profile.path}:{rule.line}: rule {rule.id}: bad case {spec}: {exc}")
                    continue
                if rule.matches(item, now) != expected:
                    verb = "should match" if expected else "should not match"
                    failures.append(f"{profile.path}:{rule.line}: rule {rule.id} {verb} {spec}")
    return failures


def load_profiles(directory: str | Path) -> tuple[dict[str, Profile], list[str]]:
    profiles, errors = {}, []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            profiles[path.stem] = load_profile(path)
        except ProfileError as exc:
            errors.extend(exc.messages)
    return profiles, errors
