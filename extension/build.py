#!/usr/bin/env python3
"""Generate the extension's platform data from the adapters (rules/platforms/*.yaml).

    python extension/build.py           # write the generated parts
    python extension/build.py --check   # exit 1 and name the stale files, write nothing
    python extension/build.py --package DIR   # the two store packages (stores.py), from the folder as it is

Three outputs, all committed so the extension loads without a build:
- manifest.json: only the content script's "matches" array is rewritten, in place; the rest of
  the manifest stays hand-edited.
- generated/platforms.js: per platform its endpoint hosts, sites and page patterns, and the
  data site() needs (read by sites.js).
- generated/vocabulary.js: the item classes' labels (en, zh) and colours from
  rules/vocabulary.yaml, the one vocabulary the service, the charts and the docs use too
  (read by shared.js).

Page patterns: every site (registrable domain) of an adapter's endpoint hosts, with all its
subdomains ("*.bilibili.com" covers www., api., t.), plus the adapter's optional `pages:` list,
which adapters whose endpoints match any host ("*": Mastodon, Bluesky) need: their API can be
anywhere, so only the adapter knows which web hosts show the feed.
Stdlib + PyYAML only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

EXTENSION = Path(__file__).resolve().parent
ROOT = EXTENSION.parent
ADAPTERS = ROOT / "rules" / "platforms"
MANIFEST = EXTENSION / "manifest.json"
PLATFORMS_JS = EXTENSION / "generated" / "platforms.js"
VOCABULARY = ROOT / "rules" / "vocabulary.yaml"
VOCABULARY_JS = EXTENSION / "generated" / "vocabulary.js"

MATCHES = re.compile(r'"matches":\s*\[[^\]]*\]')
LINE_WIDTH = 100

if (ROOT / "proxy").is_dir():  # the checkout's package, whether or not it is installed
    sys.path.insert(0, str(ROOT / "proxy"))
# site(): "www.bilibili.com" and "api.bilibili.com" are both site "bilibili.com", with the
# second-level labels that belong to a country suffix (bbc.co.uk); the proxy's PAC file names
# the same sites, and sites.js reads the list from the generated file.
from feedlens.pac import SITE_SECOND_LEVEL, site  # noqa: E402


def endpoint_hosts(adapter: dict) -> list[str]:
    hosts = set()
    for endpoint in adapter["endpoints"]:
        value = endpoint["match"]["host"]
        hosts.update([value] if isinstance(value, str) else value)
    return sorted(hosts)


def page_patterns(adapter: dict) -> list[str]:
    hosts = endpoint_hosts(adapter)
    sites = {f"*.{site(h)}" for h in hosts if h != "*"}
    declared = adapter.get("pages", [])
    if not sites and not declared:
        raise SystemExit(f"adapter {adapter['platform']}: its endpoints match any host, so it needs "
                         "`pages:` (the web hosts that show its feed)")
    return sorted(sites | set(declared))


def load_platforms(directory: Path = ADAPTERS) -> dict[str, dict]:
    """platform -> {hosts, sites, pages}, in platform order."""
    platforms = {}
    for path in sorted(directory.glob("*.yaml")):
        adapter = yaml.safe_load(path.read_text(encoding="utf-8"))
        hosts = endpoint_hosts(adapter)
        platforms[adapter["platform"]] = {
            "hosts": hosts,
            "sites": sorted({site(h) for h in hosts if h != "*"}),
            "pages": page_patterns(adapter),
        }
    return dict(sorted(platforms.items()))


def match_patterns(platforms: dict[str, dict]) -> list[str]:
    """Content-script match patterns: https only, like the feeds the proxy reads."""
    return [f"https://{page}/*" for page in sorted({p for e in platforms.values() for p in e["pages"]})]


# ---- manifest.json: rewrite the "matches" array, keep every other byte -------------------------

def matches_text(patterns: list[str], indent: str) -> str:
    lines, line = [], ""
    for quoted in (json.dumps(p) + "," for p in patterns):
        if line and len(indent) + 2 + len(line) + 1 + len(quoted) > LINE_WIDTH:
            lines.append(line)
            line = ""
        line = f"{line} {quoted}" if line else quoted
    lines.append(line)
    body = "".join(f"\n{indent}  {text}" for text in lines).rstrip(",")
    return f'"matches": [{body}\n{indent}]'


def manifest_text(current: str, patterns: list[str]) -> str:
    found = MATCHES.findall(current)
    if len(found) != 1:
        raise SystemExit(f"{MANIFEST.name}: expected one \"matches\" array, found {len(found)}")
    start = MATCHES.search(current).start()
    indent = current[current.rfind("\n", 0, start) + 1:start]
    new = MATCHES.sub(lambda _: matches_text(patterns, indent), current)
    assert json.loads(new)["content_scripts"][0]["matches"] == patterns  # the rewrite parses back
    return new


# ---- generated/platforms.js --------------------------------------------------------------------

def platforms_js(platforms: dict[str, dict]) -> str:
    rows = "\n".join(f"    {json.dumps(name)}: {json.dumps(entry, ensure_ascii=False)},"
                     for name, entry in platforms.items())
    return f"""\
// Generated by extension/build.py from rules/platforms/*.yaml. Do not edit: change the adapters
// and run `python extension/build.py`. sites.js reads this; the manifest's matches come from
// the same pages.
"use strict";

globalThis.feedlensPlatforms = Object.freeze({{
  // Second-level labels under a two-letter country code that site() keeps (bbc.co.uk).
  siteSecondLevel: {json.dumps(list(SITE_SECOND_LEVEL))},
  // platform -> endpoint hosts ("*": any), their sites, and the page patterns content scripts run on.
  platforms: {{
{rows}
  }},
}});
"""


# ---- generated/vocabulary.js -------------------------------------------------------------------

def vocabulary_js(path: Path = VOCABULARY) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    classes = data["classes"]
    rows = "\n".join(f"    {json.dumps(c['id'])}: " + json.dumps(
        {"color": c["colour"], "label": _labels(c)}, ensure_ascii=False) + "," for c in classes)
    return f"""\
// Generated by extension/build.py from rules/vocabulary.yaml. Do not edit: change the vocabulary
// and run `python extension/build.py`. shared.js reads this: the classes' words and colours are
// the dashboard's, the charts' and the docs' too, and so are the words of formats and relations.
"use strict";

globalThis.feedlensVocabulary = Object.freeze({{
  order: {json.dumps([c["id"] for c in classes])},
  classes: {{
{rows}
  }},
  format: {_terms(data["formats"])},
  relation: {_terms(data["relations"])},
}});
"""


def _labels(entry: dict) -> dict:
    return {"en": entry["label"]["en"], "zh": entry["label"]["zh-CN"]}


def _terms(entries: list[dict]) -> str:
    """{id: {en, zh}} of one facet's words (docs/format.md), on one line."""
    return json.dumps({e["id"]: _labels(e) for e in entries}, ensure_ascii=False)


def outputs() -> dict[Path, str]:
    platforms = load_platforms()
    manifest = manifest_text(MANIFEST.read_text(encoding="utf-8"), match_patterns(platforms))
    return {MANIFEST: manifest, PLATFORMS_JS: platforms_js(platforms),
            VOCABULARY_JS: vocabulary_js()}


def stale_files() -> list[Path]:
    return [path for path, text in outputs().items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--package":
        import stores  # beside this file (the script's directory is on sys.path)
        for browser, path in stores.package(Path(argv[1])).items():
            print(f"{browser}: {path}")
        return 0
    if argv and argv != ["--check"]:
        print(__doc__)
        return 2
    stale = stale_files()
    if argv == ["--check"]:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run `python extension/build.py`)")
        return 1 if stale else 0
    for path, text in outputs().items():
        if path in stale:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
