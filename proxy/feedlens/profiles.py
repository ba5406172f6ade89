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

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from . import schema, vocabulary
from .conditions import PhraseCheck, PhraseSpecError, Predicate, library_loader, phrase_check, rule_predicate
from .model import Item, Provenance
from .phrases import PhraseError
from .textmatch import UnsafePattern
from .yamlsrc import Source, YamlError, parse

def default_prefix(provenance: str, lang: str) -> str:
    """The title prefix of a class without a profile's own: its label from the one vocabulary."""
    if lang == "zh":
        return f"【{vocabulary.label(provenance, 'zh')}】"
    return f"[{vocabulary.label(provenance, 'en')}] "


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
    # a page this profile empties keeps a placeholder card (placeholder.py); a block (the minors
    # gate's curfew or budget) ends the feed instead
    keep_paging: bool = True
    path: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    def title_in(self, lang: str) -> str:
        return localized(self.raw.get("title"), lang) or self.title

    def description_in(self, lang: str) -> str | None:
        return localized(self.raw.get("description"), lang)

    def prefix_for(self, provenance: str, lang: str) -> str:
        if provenance in self.prefixes:
            return self.prefixes[provenance]
        return default_prefix(provenance, "zh" if lang.startswith("zh") else "en")


# UI language ("en", "zh", as language.pick_language names them) -> key of a localized text.
TEXT_LANGS = {"en": "en", "zh": "zh-CN"}


def localized(value, lang: str) -> str | None:
    """A title or description in `lang`: a plain string serves every language; a mapping
    (`{en: …, zh-CN: …}`) falls back to English."""
    if not isinstance(value, dict):
        return value
    return value.get(TEXT_LANGS.get(lang, lang)) or value.get("en")


MARK_ONLY = Profile(name="default", title="Mark only", version="0", rules=[],
                    raw={"title": {"en": "Mark only", "zh-CN": "仅标注"}})


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
        for rule in rules:
            if rule.matches(item, now):
                break
        else:
            rule = None
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


# ---- loading --------------------------------------------------------------------------
# Every profile source (a file, the service's PUT and extension edits, the CLI, the runtime's
# active and per-device profiles) goes through load_profile_text, so all refuse the same
# mistakes with the same `file:line` messages.

def load_profile_text(text: str, path: str | Path, name: str | None = None) -> Profile:
    """The one profile loader: parse, validate (schema and registered sections' checks, e.g.
    the curfew) and compile; raises ProfileError with `file:line` messages."""
    try:
        source = parse(text, str(path), aliases=False)  # a profile needs no aliases
    except YamlError as exc:
        raise ProfileError([str(exc)]) from None
    return compile_profile(source, name)


def load_profile(path: str | Path) -> Profile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError([f"{path}:1: cannot read: {exc}"]) from None
    return load_profile_text(text, path)


def compile_profile(source: Source, name: str | None = None) -> Profile:
    """A parsed profile (load_profile_text parses; worker processes pass parsed text)."""
    errors = schema.validate(source, "profile")
    if errors:
        raise ProfileError(errors)
    data = source.data
    library = library_loader(source.path)
    rules, errors = [], []
    for index, spec in enumerate(data["rules"]):
        rule = _compile_rule(source, index, spec, library, errors)
        if rule is not None:
            rules.append(rule)
    errors.extend(_duplicate_ids(source, rules))
    if errors:
        raise ProfileError(errors)
    mark = data.get("mark", {})
    return Profile(
        name=name or Path(source.path).stem, title=localized(data["title"], "en"), version=str(data["version"]),
        rules=rules, title_prefix=mark.get("title_prefix", "off"), prefixes=mark.get("prefixes", {}),
        locked=bool(data.get("locked", False)), path=source.path, raw=data,
    )


def _compile_rule(source: Source, index: int, spec: dict, library, errors: list[str]) -> Rule | None:
    """The rule at rules[index], or None with its problems added to `errors`."""
    where = ("rules", index)
    try:
        predicate = rule_predicate(spec, library)
        phrases = spec.get("when", {}).get("phrases")
        evidence = phrase_check(phrases, library()) if phrases else None
    except (UnsafePattern, PhraseSpecError) as exc:
        errors.append(source.at(where, str(exc)))
        return None
    except PhraseError as exc:
        errors.extend(exc.messages)
        return None
    if spec["action"] == "limit" and "max" not in spec:
        errors.append(source.at(where, "action limit needs `max`"))
    expires = None
    if "expires" in spec:
        try:
            expires = date.fromisoformat(spec["expires"][:10])
        except ValueError:
            errors.append(source.at(where + ("expires",), f"bad date {spec['expires']!r}"))
    return Rule(id=spec["id"], action=spec["action"], matches=predicate, max=spec.get("max"),
                text=spec.get("text"), expires=expires, line=source.line(where),
                cases=spec.get("cases", {}), evidence=evidence)


def _duplicate_ids(source: Source, rules: list[Rule]) -> list[str]:
    ids = [r.id for r in rules]
    return [source.at(("rules", index, "id"), f"duplicate rule id {rule_id!r}")
            for index, rule_id in enumerate(ids) if rule_id in ids[:index]]


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
