"""The `feedlens` command line, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import DATA, ROOT

HOME_URL = "https://api.demo.test/feed/home"


def feedlens(*args, rules: Path | None = None) -> subprocess.CompletedProcess:
    env_rules = ["--rules", str(rules)] if rules else []
    return subprocess.run([sys.executable, "-m", "feedlens.cli", *env_rules, *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def demo_rules(tmp_path: Path) -> Path:
    (tmp_path / "platforms").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "platforms" / "demo.yaml").write_text((DATA / "demo.yaml").read_text())
    (tmp_path / "profiles" / "no-ads.yaml").write_text(
        "title: t\nversion: 1\nrules:\n  - {id: hide-ads, when: {provenance: promoted}, action: hide}\n")
    return tmp_path


def test_classify_table_and_summary(tmp_path):
    result = feedlens("classify", "--url", HOME_URL, DATA / "demo_home.json", rules=demo_rules(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["#", "id", "format", "relation", "provenance"]
    assert any(line.split()[1:5] == ["v2", "video", "original", "promoted"] for line in lines)
    assert any(line.split()[1:5] == ["v3", "short_video", "original", "personalized"] for line in lines)
    assert any(line.split()[1:5] == ["v5", "video", "repost", "followed"] for line in lines)
    assert "ad.is_ad=true" in result.stdout
    assert lines[-1] == "demo/home (home): 5 items — followed 2, promoted 1, personalized 1, popular 1; hidden 0"


def test_classify_jsonl_with_profile(tmp_path):
    result = feedlens("classify", "--url", HOME_URL, DATA / "demo_home.json", "--format", "jsonl",
                      "--profile", "no-ads", rules=demo_rules(tmp_path))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["provenance"] for r in rows] == ["followed", "promoted", "personalized", "popular", "followed"]
    assert rows[1]["decision"] == "hide" and rows[1]["decision_rule"] == "hide-ads"
    assert rows[1]["evidence"] == [{"source": "item", "path": "ad.is_ad", "value": True}]
    assert [(r["format"], r["relation"], r["duration_s"]) for r in rows] == [
        ("video", "original", None), ("video", "original", None), ("short_video", "original", 42),
        ("video", "original", None), ("video", "repost", 95)]
    assert rows[2]["format_why"] == "vertical == `true`" and rows[4]["relation_why"] == "forward_of != null"


def test_classify_rewrite_writes_body(tmp_path):
    out = tmp_path / "out.json"
    result = feedlens("classify", "--url", HOME_URL, DATA / "demo_home.json", "--profile", "no-ads",
                      "--rewrite", out, rules=demo_rules(tmp_path))
    assert result.returncode == 0
    assert [e.get("id") for e in json.loads(out.read_text())["data"]["list"]] == ["v1", "v3", "v4", "v5", None]


def test_classify_post_request_body(tmp_path):
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"data": {"instructions": [{"entries": [{"entryId": "a", "content": {}}]}]}}))
    request = tmp_path / "req.json"
    request.write_text('{"tab": "home"}')
    args = ("classify", "--url", "https://m.demo.test/v2/timeline/home", body, "--method", "POST")
    rules = demo_rules(tmp_path)
    assert feedlens(*args, rules=rules).returncode == 1  # no body: not this endpoint
    result = feedlens(*args, "--request-body", request, rules=rules)
    assert result.returncode == 0 and "demo/nested" in result.stdout


def test_classify_not_a_feed(tmp_path):
    result = feedlens("classify", "--url", "https://example.com/x", DATA / "demo_home.json", rules=demo_rules(tmp_path))
    assert result.returncode == 1 and "not a feed endpoint" in result.stderr


def test_rules_check_passes_on_shipped_rules():
    result = feedlens("rules", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stderr


def test_rules_check_reports_file_and_line(tmp_path):
    rules = demo_rules(tmp_path)
    bad = rules / "profiles" / "bad.yaml"
    bad.write_text("title: t\nversion: 1\nrules:\n  - id: ads\n    when: {provenance: promoted}\n    action: hide\n"
                   "    cases: {no_match: [{provenance: promoted}]}\n")
    broken = rules / "platforms" / "broken.yaml"
    broken.write_text("title: x\nplatform: broken\n")
    result = feedlens("rules", "check", bad, broken)
    assert result.returncode == 1
    assert f"{bad}:4: rule ads should not match" in result.stdout
    assert f"{broken}:1:" in result.stdout


def test_rules_check_finds_a_report_reason_for_an_unknown_category(tmp_path):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    adapter = rules / "platforms" / "bilibili.yaml"
    text = adapter.read_text(encoding="utf-8")
    line = text[:text.index("categories: [cn.bad.clickbait]")].count("\n") + 1
    adapter.write_text(text.replace("categories: [cn.bad.clickbait]",
                                    "categories: [cn.bad.clickbaiting]"), encoding="utf-8")
    result = feedlens("rules", "check", adapter)
    assert result.returncode == 1
    assert f"bilibili.yaml:{line}:" in result.stdout and "cn.bad.clickbaiting" in result.stdout


def test_rules_check_runs_the_phrase_lists_cases(tmp_path):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    phrases = rules / "phrases" / "cn.bad.clickbait.yaml"
    phrases.write_text(phrases.read_text(encoding="utf-8").replace(
        '{title: "今天的天气预报", max: 0}', '{title: "今天的天气预报，震惊", max: 0}'), encoding="utf-8")
    result = feedlens("rules", "check", rules)
    assert result.returncode == 1
    assert "cn.bad.clickbait.yaml" in result.stdout and "今天的天气预报，震惊" in result.stdout
