"""Report categories (rules/categories.yaml): what a user can report, with its legal reference.

The file is data; this module loads it with the safe YAML loader, validates it against a JSON
Schema plus a few cross-checks, and raises ValueError("file:line: …") when it is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator

from .. import paths
from ..yamlsrc import Source, YamlError, load

GROUPS = {
    "cn.illegal": ("违法信息", "Illegal information"),
    "cn.bad": ("不良信息", "Harmful (bad) information"),
    "cn.act": ("违法行为", "Prohibited acts"),
    "cn.ad": ("广告", "Advertising"),
    "minors": ("未成年人保护", "Protection of minors"),
    "dsa": ("欧盟《数字服务法》类别", "EU Digital Services Act categories"),
}
CHANNELS_12377 = ("政治", "暴恐", "诈骗", "色情", "低俗", "赌博", "侵权", "谣言")
DSA_CATEGORIES = (
    "animal_welfare", "consumer_information", "cyber_violence", "cyber_violence_against_women",
    "data_protection_and_privacy_violations", "illegal_or_harmful_speech",
    "intellectual_property_infringements", "negative_effects_on_civic_discourse_or_elections",
    "not_specified_notice", "other_violation_tc", "protection_of_minors", "risk_for_public_security",
    "scams_and_fraud", "self_harm", "unsafe_and_prohibited_products", "violence",
)
# The picker's plain question ("what is wrong with it?"); each category answers one or more.
TOPICS = ("spam", "ad", "misleading", "harassment", "illegal", "minors", "other")
ID_PATTERN = r"^(cn\.illegal|cn\.bad|cn\.act|cn\.ad|minors|dsa)\.[a-z][a-z0-9_]*$"

_text = {"type": "string", "minLength": 1}
SCHEMA = {
    "type": "object",
    "required": ["title", "version", "categories"],
    "properties": {
        "title": _text,
        "version": {"type": ["string", "number"]},
        "expires": _text,
        "homepage": _text,
        "licence": _text,
        "description": _text,
        "categories": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "topics", "zh", "en", "ref"],
                "properties": {
                    "id": {"type": "string", "pattern": ID_PATTERN},
                    "topics": {"type": "array", "items": {"enum": list(TOPICS)}, "minItems": 1,
                               "uniqueItems": True},
                    "zh": _text,
                    "en": _text,
                    "ref": _text,
                    "channel_12377": {"enum": list(CHANNELS_12377)},
                    "dsa": {"enum": list(DSA_CATEGORIES)},
                    "anonymous_notice": {"type": "boolean"},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
_validator = Draft202012Validator(SCHEMA)


@dataclass(frozen=True)
class Category:
    id: str
    group: str  # "cn.illegal" | "cn.bad" | "cn.act" | "cn.ad" | "minors" | "dsa"
    zh: str
    en: str
    ref: str  # legal reference
    channel_12377: str | None  # 12377 report type, or None
    dsa: str | None  # DSA statement-of-reasons category (suffix of STATEMENT_CATEGORY_), or None
    # DSA Art 16(2)(c): notices about child sexual abuse offences need no name or email.
    anonymous_notice: bool = False
    topics: tuple[str, ...] = ()  # the plain-question answers (TOPICS) this category fits

    @property
    def dsa_constant(self) -> str | None:
        return f"STATEMENT_CATEGORY_{self.dsa.upper()}" if self.dsa else None


def categories_file(rules_dir: Path | None = None) -> Path:
    return (rules_dir or paths.rules_dir()) / "categories.yaml"


_cache: dict[str, tuple[float, list[Category]]] = {}


def load_categories(rules_dir: Path | None = None) -> list[Category]:
    """All categories in file order; raises ValueError with `file:line:` messages."""
    path = categories_file(rules_dir)
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise ValueError(f"{path}:1: cannot read: {exc}") from None
    cached = _cache.get(str(path))
    if cached and cached[0] == mtime:
        return list(cached[1])
    try:
        source = load(path)
    except YamlError as exc:
        raise ValueError(str(exc)) from None
    categories = parse_categories(source)
    _cache[str(path)] = (mtime, categories)
    return list(categories)


def parse_categories(source: Source) -> list[Category]:
    errors = _schema_errors(source)
    if errors:
        raise ValueError("\n".join(errors))
    out, seen = [], {}
    for index, entry in enumerate(source.data["categories"]):
        if entry["id"] in seen:
            errors.append(source.at(("categories", index, "id"),
                                    f"duplicate category id {entry['id']!r} (first at line "
                                    f"{seen[entry['id']]})"))
            continue
        seen[entry["id"]] = source.line(("categories", index, "id"))
        out.append(Category(
            id=entry["id"], group=entry["id"].rsplit(".", 1)[0], zh=entry["zh"], en=entry["en"],
            ref=entry["ref"], channel_12377=entry.get("channel_12377"), dsa=entry.get("dsa"),
            anonymous_notice=bool(entry.get("anonymous_notice", False)),
            topics=tuple(entry["topics"]),
        ))
    if errors:
        raise ValueError("\n".join(errors))
    return out


def _schema_errors(source: Source) -> list[str]:
    found = []
    for error in _validator.iter_errors(source.data):
        where = list(error.absolute_path)
        field = ".".join(str(p) for p in where) or "(top level)"
        found.append((source.line(where), source.at(where, f"{field}: {error.message}")))
    return [message for _, message in sorted(found)]


def by_id(categories: list[Category]) -> dict[str, Category]:
    return {c.id: c for c in categories}


def find(category_id: str, rules_dir: Path | None = None) -> Category | None:
    return by_id(load_categories(rules_dir)).get(category_id)


def label(category: Category, lang: str) -> str:
    """The category's label in `lang` ("zh", "zh-CN", "en", …); English unless Chinese."""
    return category.zh if is_zh(lang) else category.en


def group_label(group: str, lang: str) -> str:
    zh, en = GROUPS.get(group, (group, group))
    return zh if is_zh(lang) else en


def is_zh(lang: str | None) -> bool:
    """True for zh, zh-CN, zh_CN, zh-Hans…"""
    return bool(lang) and lang.lower().replace("_", "-").startswith("zh")
