"""One strict profile loader: a misspelt key anywhere is refused with the same `file:line`
message (and the closest spelling) by the file loader, PUT /api/profiles and the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from feedlens.profiles import ProfileError, load_profile, load_profile_text
from feedlens.service import profile_files
from tests.service_support import auth, client, rules_dir, runtime, token  # noqa: F401 (fixtures)

from .conftest import DATA, ROOT

pytestmark = pytest.mark.filterwarnings("error")

KID = """\
title: Kid
version: 1
locked: true
mark: {title_prefix: labelled}
limits:
  daily_minutes: 60
  curfew: {from: "21:00", to: "07:00"}
rules:
  - id: no-ads
    when: {provenance: promoted}
    action: hide
    cases:
      match: [{provenance: promoted}]
"""

# (what is misspelt, the line as written, the line with the mistake, the message expected)
TYPOS = [
    ("top", "limits:", "limit:", 5, "(top level): unknown key 'limit' (did you mean 'limits'?)"),
    ("rule", "    action: hide", "    action: hide\n    descripton: no ads", 12,
     "rules.0: unknown key 'descripton' (did you mean 'description'?)"),
    ("when", "when: {provenance: promoted}", "when: {provenance: promoted, keyword: ad}", 10,
     "rules.0.when: unknown key 'keyword' (did you mean 'keywords'?)"),
    ("limits.curfew", 'to: "07:00"}', 'to: "07:00", form: "20:00"}', 7,
     "limits.curfew: unknown key 'form' (did you mean 'from'?)"),
    ("mark", "mark: {title_prefix: labelled}", "mark: {title_prefix: labelled, prefix: {}}", 4,
     "mark: unknown key 'prefix' (did you mean 'prefixes'?)"),
    ("limits", "  daily_minutes: 60", "  daily_minute: 60", 6,
     "limits: unknown key 'daily_minute' (did you mean 'daily_minutes'?)"),
    ("enum", "when: {provenance: promoted}", "when: {provenance: personalised}", 10,
     "rules.0.when.provenance: 'personalised' is not one of 'followed', 'personalized', "
     "'popular', 'promoted', 'search', 'own', 'unknown' (did you mean 'personalized'?)"),
    ("case", "match: [{provenance: promoted}]", "match: [{provenance: promoted, titel: x}]", 13,
     "rules.0.cases.match.0: unknown key 'titel' (did you mean 'title'?)"),
    ("phrases", "when: {provenance: promoted}",
     "when: {phrases: {categories: [cn.bad.x], threshold: 3, treshold: 2}}", 10,
     "rules.0.when.phrases: unknown key 'treshold' (did you mean 'threshold'?)"),
]
IDS = [t[0] for t in TYPOS]
SAME_CURFEW = KID.replace('to: "07:00"', 'to: "21:00"')
CURFEW_MESSAGE = "7: limits.curfew: `from` and `to` are the same time; leave curfew out for none"


def mistaken(old: str, new: str) -> str:
    assert KID.count(old) == 1, old
    return KID.replace(old, new)


def relative(messages: list[str], path: Path) -> list[str]:
    """The messages without their file name, to compare loaders that name different files."""
    assert all(m.startswith(f"{path}:") for m in messages), messages
    return [m[len(str(path)) + 1:] for m in messages]


def file_messages(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    path = tmp_path / "kid.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    return path, caught.value.messages


def test_the_profile_without_mistakes_loads(tmp_path):
    path = tmp_path / "kid.yaml"
    path.write_text(KID, encoding="utf-8")
    profile = load_profile(path)
    assert profile.locked and profile.raw["limits"]["daily_minutes"] == 60


@pytest.mark.parametrize("what, old, new, line, message", TYPOS, ids=IDS)
def test_the_file_loader_names_the_line_and_the_closest_key(tmp_path, what, old, new, line, message):
    path, messages = file_messages(tmp_path, mistaken(old, new))
    assert f"{path}:{line}: {message}" in messages


def test_the_file_loader_refuses_a_curfew_of_no_length(tmp_path):
    path, messages = file_messages(tmp_path, SAME_CURFEW)
    assert messages == [f"{path}:{CURFEW_MESSAGE}"]


def test_text_and_file_loading_give_the_same_messages(tmp_path):
    text = mistaken(*TYPOS[0][1:3])
    path, from_file = file_messages(tmp_path, text)
    with pytest.raises(ProfileError) as caught:
        load_profile_text(text, path)
    assert caught.value.messages == from_file


# ---- PUT /api/profiles/<name> --------------------------------------------------------------

async def put_messages(client, auth, rules_dir, body: dict) -> list[str]:  # noqa: F811
    response = await client.put("/api/profiles/kid", json=body, headers=auth)
    assert response.status == 400
    data = await response.json()
    assert "not changed" in data["error"]
    assert not profile_files.profile_path(rules_dir, "kid").exists()
    return relative(data["messages"], profile_files.writable_path(rules_dir, "kid"))


@pytest.mark.parametrize("what, old, new, line, message", TYPOS, ids=IDS)
async def test_put_refuses_a_typo_with_the_file_loaders_message(
        client, auth, rules_dir, tmp_path, what, old, new, line, message):  # noqa: F811
    text = mistaken(old, new)
    path, from_file = file_messages(tmp_path, text)
    from_api = await put_messages(client, auth, rules_dir, {"yaml": text})
    assert f"{line}: {message}" in from_api
    assert from_api == relative(from_file, path)


async def test_put_refuses_a_curfew_of_no_length_like_the_file_loader(
        client, auth, rules_dir, tmp_path):  # noqa: F811
    path, from_file = file_messages(tmp_path, SAME_CURFEW)
    from_api = await put_messages(client, auth, rules_dir, {"yaml": SAME_CURFEW})
    assert from_api == relative(from_file, path) == [CURFEW_MESSAGE]


async def test_put_refuses_a_typo_in_a_profile_object(client, auth, rules_dir):  # noqa: F811
    body = {"profile": {"title": "Kid", "version": 1, "rules": [], "limit": {"daily_minutes": 5}}}
    from_api = await put_messages(client, auth, rules_dir, body)
    assert any(m.endswith(": (top level): unknown key 'limit' (did you mean 'limits'?)")
               for m in from_api), from_api


async def test_put_accepts_the_profile_without_mistakes(client, auth, rules_dir):  # noqa: F811
    response = await client.put("/api/profiles/kid", json={"yaml": KID}, headers=auth)
    assert response.status == 201, await response.text()


# ---- the CLI, as a subprocess that has to install the features itself ----------------------

def feedlens(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "feedlens", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


CLI_TYPOS = [t for t in TYPOS if t[0] in ("top", "rule", "when", "limits.curfew", "mark")]


@pytest.fixture
def bad_rules(tmp_path) -> Path:
    """A rules directory with one profile per typo (and a good one, which must pass)."""
    rules = tmp_path / "bad-rules"
    (rules / "platforms").mkdir(parents=True)
    (rules / "profiles").mkdir()
    (rules / "platforms" / "demo.yaml").write_text((DATA / "demo.yaml").read_text())
    (rules / "profiles" / "good.yaml").write_text(KID)
    for what, old, new, _, _ in CLI_TYPOS:
        (rules / "profiles" / f"{what}.yaml").write_text(mistaken(old, new))
    return rules


def test_rules_check_refuses_each_typo_with_the_same_message(bad_rules):
    result = feedlens("rules", "check", bad_rules)
    assert result.returncode == 1
    printed = result.stdout.splitlines()
    for what, old, new, line, message in CLI_TYPOS:
        path, from_file = file_messages(bad_rules.parent, mistaken(old, new))
        expected = [f"{bad_rules / 'profiles' / what}.yaml:{m}" for m in relative(from_file, path)]
        assert f"{bad_rules / 'profiles' / what}.yaml:{line}: {message}" in expected
        assert set(expected) <= set(printed), (expected, printed)
    assert not [m for m in printed if "good.yaml" in m]


@pytest.mark.parametrize("what, old, new, line, message", CLI_TYPOS, ids=[t[0] for t in CLI_TYPOS])
def test_classify_refuses_a_profile_with_a_typo(bad_rules, what, old, new, line, message):
    profile = bad_rules / "profiles" / f"{what}.yaml"
    result = feedlens("--rules", bad_rules, "classify", "--url", "https://api.demo.test/feed/home",
                      DATA / "demo_home.json", "--profile", profile)
    assert result.returncode == 2
    [printed] = result.stderr.splitlines()  # one line: `error: file:line: message (hint)`
    assert printed.startswith(f"error: {profile}:{line}: {message} (invalid profile;")


def test_classify_accepts_the_profile_without_mistakes(bad_rules):
    result = feedlens("--rules", bad_rules, "classify", "--url", "https://api.demo.test/feed/home",
                      DATA / "demo_home.json", "--profile", bad_rules / "profiles" / "good.yaml")
    assert result.returncode == 0, result.stderr


def test_a_localized_title_allows_only_known_languages(tmp_path):
    from feedlens.profiles import ProfileError, load_profile

    good = tmp_path / "good.yaml"
    good.write_text("title: {en: Quiet, zh-CN: 安静}\nversion: 1\nrules: []\n", encoding="utf-8")
    assert load_profile(good).title_in("zh") == "安静"
    for title in ("{en: Quiet, fr: Calme}", "{zh-CN: 安静}"):  # unknown language; no English
        bad = tmp_path / "bad.yaml"
        bad.write_text(f"title: {title}\nversion: 1\nrules: []\n", encoding="utf-8")
        with pytest.raises(ProfileError) as caught:
            load_profile(bad)
        assert caught.value.messages[0].startswith(f"{bad}:1:")
