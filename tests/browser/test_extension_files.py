"""Static checks of the extension: manifest, translations, and where the token may go."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from feedlens import pairing

EXT = Path(__file__).resolve().parents[2] / "extension"
LOCALES = ("en", "zh_CN")


def messages(locale: str) -> dict:
    return json.loads((EXT / "_locales" / locale / "messages.json").read_text(encoding="utf-8"))


def test_manifest_loads_in_chromium_and_firefox():
    manifest = json.loads((EXT / "manifest.json").read_text())
    assert manifest["manifest_version"] == 3
    assert manifest["background"]["service_worker"] == "background.js"  # Chromium
    assert manifest["background"]["scripts"][-1] == "background.js"     # Firefox (data first)
    assert manifest["browser_specific_settings"]["gecko"]["id"]
    assert manifest["default_locale"] == "en"
    referenced = [*manifest["background"]["scripts"], manifest["action"]["default_popup"],
                  manifest["options_ui"]["page"], *manifest["icons"].values(),
                  *(f for script in manifest["content_scripts"] for f in script["js"] + script["css"])]
    for name in referenced:
        assert (EXT / name).is_file(), name


def test_every_string_is_translated_in_both_locales():
    en, zh = messages("en"), messages("zh_CN")
    assert en.keys() == zh.keys()
    for key in en:
        assert en[key].get("placeholders", {}).keys() == zh[key].get("placeholders", {}).keys(), key
        assert zh[key]["message"].strip(), key


def test_every_key_the_code_uses_exists():
    used = set()
    for path in EXT.rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("([A-Za-z_]+)"', text))
        used.add("prov_unmarked")  # the classes' words come from generated/vocabulary.js
        used |= {f"provLong_{p}" for p in ("followed", "personalized", "popular", "promoted",
                                           "search", "own", "unknown", "unmarked")}
    for path in EXT.glob("*.html"):
        used |= set(re.findall(r'data-i18n="([A-Za-z_]+)"', path.read_text(encoding="utf-8")))
    used |= set(re.findall(r"__MSG_([A-Za-z_]+)__", (EXT / "manifest.json").read_text()))
    missing = sorted(used - messages("en").keys())
    assert not missing, missing


CONTENT_SCRIPTS = [f for script in json.loads((EXT / "manifest.json").read_text())["content_scripts"]
                   for f in script["js"]]


def test_content_scripts_are_the_split_modules():
    assert CONTENT_SCRIPTS[-1] == "content/main.js" and "content/core.js" in CONTENT_SCRIPTS
    assert set(CONTENT_SCRIPTS) >= {f"content/{p.name}" for p in (EXT / "content").glob("*.js")}


@pytest.mark.parametrize("name", CONTENT_SCRIPTS)
def test_page_side_code_never_touches_the_token(name):
    # Content scripts share the page's DOM; only the background worker holds the token.
    text = (EXT / name).read_text(encoding="utf-8")
    assert "token" not in text.lower() and "storage" not in text


def test_no_inline_scripts_in_extension_pages():
    for path in EXT.glob("*.html"):
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", path.read_text(encoding="utf-8"), re.S)
        assert all("src=" in attrs and not body.strip() for attrs, body in scripts), path.name


def test_pair_command_prints_a_code(tmp_path, capsys):
    import argparse
    parser = argparse.ArgumentParser()
    pairing.add_pair_parser(parser.add_subparsers())
    args = parser.parse_args(["pair", "--data-dir", str(tmp_path), "--service-port", "9999"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    code = re.search(r"pairing code\s+([A-Z2-9]{4}-[A-Z2-9]{4})", out).group(1)
    assert "http://127.0.0.1:9999" in out
    pairing.redeem(tmp_path, code)
    assert not (tmp_path / pairing.FILE).exists()
