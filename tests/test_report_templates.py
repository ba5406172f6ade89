"""Report templates of the shipped adapters: every category maps, every template fills, every
answer is read right; bv2av and weibo_mid; broken sections give `file:line` errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from feedlens import fixtures, paths
from feedlens.adapters import AdapterError, compile_adapter, load_adapters
from feedlens.cli import main as feedlens_main
from feedlens.engine import Engine
from feedlens.reports import templates
from feedlens.reports.categories import load_categories
from feedlens.reports.filters import av2bv, bv2av, weibo_mid
from feedlens.reports.section import check_report, is_api
from feedlens.reports.templates import ReportError, choices, interpret, prepare, report_kinds
from feedlens.yamlsrc import parse

ADAPTERS = load_adapters([paths.platforms_dir()])
CATEGORIES = load_categories()
WITH_REPORT = [a for a in ADAPTERS.adapters if a.report]
KINDS = [(a, kind) for a in WITH_REPORT for kind in report_kinds(a)]
API_KINDS = [(a, kind) for a, kind in KINDS if is_api(a.report["kinds"][kind])]
MANUAL_KINDS = [(a, kind) for a, kind in KINDS if not is_api(a.report["kinds"][kind])]


def ids(pairs):
    return [f"{a.platform}/{kind}" for a, kind in pairs]


def _fixture_items() -> dict[tuple[str, str], dict]:
    """The first item of each (platform, kind) in the adapters' own fixtures."""
    engine = Engine(ADAPTERS)
    cases, _ = fixtures.discover(paths.platforms_dir())
    found: dict[tuple[str, str], dict] = {}
    for case in cases:
        outcome, _ = fixtures.run(engine, case)
        for item in outcome.items:
            found.setdefault((item.platform, item.kind), item.to_dict())
    return found


ITEMS = _fixture_items()
# Kinds the feeds do not carry (comments are reported from the page): a realistic item by hand.
ITEMS.setdefault(("bilibili", "comment"), {"platform": "bilibili", "kind": "comment", "id": "5012",
                                           "author_id": "7", "author": "someone", "url": None})
ITEMS.setdefault(("reddit", "comment"), {"platform": "reddit", "kind": "comment", "id": "t1_abc12",
                                         "author_id": "t2_x", "author": "someone",
                                         "url": "https://www.reddit.com/r/a/comments/b/c/abc12/"})
# What the page supplies beside the item (docs/reports.md).
TARGETS = {"bilibili": {"type": 1, "oid": 170001, "rpid": 5012}, "reddit": {"modhash": "mh123"},
           "weibo": {"uid": "5600000001"}}


def item_for(adapter, kind) -> dict:
    return ITEMS[(adapter.platform, kind)]


def test_shipped_adapters_still_load():
    assert ADAPTERS.errors == []
    assert {a.platform for a in WITH_REPORT} == {a.platform for a in ADAPTERS.adapters}


@pytest.mark.parametrize("adapter", WITH_REPORT, ids=[a.platform for a in WITH_REPORT])
def test_report_section_passes_the_checks(adapter):
    assert check_report(adapter, CATEGORIES) == []


@pytest.mark.parametrize("adapter, kind", KINDS, ids=ids(KINDS))
def test_every_category_maps_to_a_reason_or_manual_url(adapter, kind):
    rows = {row["category"]: row for row in choices(adapter, kind, "en")}
    assert set(rows) == {c.id for c in CATEGORIES}
    for category, row in rows.items():
        if row["mode"] == "api":
            assert row["reason"] is not None and row["reason"]["label"], category
        else:
            assert row["mode"] == "manual" and row["manual_url"].startswith("https://"), category


@pytest.mark.parametrize("adapter, kind", KINDS, ids=ids(KINDS))
def test_every_item_kind_of_the_fixtures_that_is_reportable_has_an_item(adapter, kind):
    """The kinds named in report sections are kinds the adapters really produce (or comments)."""
    assert (adapter.platform, kind) in ITEMS


@pytest.mark.parametrize("adapter, kind", API_KINDS, ids=ids(API_KINDS))
def test_api_template_fills_for_every_category(adapter, kind):
    spec = adapter.report["kinds"][kind]
    for category in CATEGORIES:
        request = prepare(adapter, kind, category.id, item_for(adapter, kind), "details",
                          TARGETS.get(adapter.platform))
        if request["mode"] == "manual":
            assert category.id in _manual_ids(spec, category)
            continue
        assert (request["method"], request["url"]) == (spec["method"], spec["url"])
        assert set(request["fields"]) == set(spec["fields"])
        for name, value in request["fields"].items():
            left = re.findall(r"\{[^{}]*\}", value)
            assert left == [f"{{cookie:{c}}}" for c in request["cookies"] if f"{{cookie:{c}}}" in value], name
            if spec["fields"][name] == "{reason}":
                assert value == str(request["reason"]["code"])
        assert request["manual_url"].startswith("https://")


def _manual_ids(spec, category):
    listed = spec.get("manual", [])
    return [category.id] if category.id in listed or f"{category.group}.*" in listed else []


@pytest.mark.parametrize("adapter, kind", MANUAL_KINDS, ids=ids(MANUAL_KINDS))
def test_manual_template_opens_the_item_page_with_text(adapter, kind):
    item = item_for(adapter, kind)
    result = prepare(adapter, kind, "cn.illegal.rumor", item, "it is false")
    assert result["mode"] == "manual"
    template = adapter.report["kinds"][kind].get("manual_url")
    # An app-only link (bilibili://…) cannot be opened in the browser: the platform's page instead.
    usable = template == "{item.url}" and str(item.get("url") or "").startswith("https://")
    expected = item["url"] if usable else adapter.report["manual_url"]
    assert result["manual_url"] == expected
    assert "it is false" in result["text"] and "Art 6(8)" in result["text"]
    # Without the item's URL the platform's own report page is the fallback.
    assert prepare(adapter, kind, "cn.illegal.rumor", {}, "")["manual_url"] == adapter.report["manual_url"]


# ---- the documented requests, field by field ---------------------------------------------------

BILIBILI = ADAPTERS.by_platform("bilibili")
WEIBO = ADAPTERS.by_platform("weibo")
REDDIT = ADAPTERS.by_platform("reddit")
YOUTUBE = ADAPTERS.by_platform("youtube")
VIDEO = {"platform": "bilibili", "kind": "video", "id": "BV17x411w7KC", "author_id": "2",
         "url": "https://www.bilibili.com/video/BV17x411w7KC"}


def test_bilibili_video_appeal():
    request = prepare(BILIBILI, "video", "cn.illegal.rumor", VIDEO, "标题与事实不符")
    assert request["method"] == "POST" and request["encoding"] == "form"
    assert request["url"] == "https://api.bilibili.com/x/web-interface/archive/appeal"
    assert request["fields"] == {"aid": "170001", "tid": "10015", "desc": "标题与事实不符",
                                 "attach": "", "csrf": "{cookie:bili_jct}"}
    assert request["cookies"] == ["bili_jct"] and request["origin"] == "https://www.bilibili.com"
    assert request["reason"] == {"code": 10015, "label": "涉社会事件谣言", "en": "Rumour about social events"}
    assert request["manual_url"] == VIDEO["url"]


def test_bilibili_comment_report():
    request = prepare(BILIBILI, "comment", "cn.bad.vulgar", {"id": "5012"}, "",
                      {"type": 1, "oid": 170001, "rpid": 5012})
    assert request["url"] == "https://api.bilibili.com/x/v2/reply/report"
    fields = request["fields"]
    assert {k: fields[k] for k in ("type", "oid", "rpid", "reason", "csrf")} == {
        "type": "1", "oid": "170001", "rpid": "5012", "reason": "10", "csrf": "{cookie:bili_jct}"}
    # Nothing typed: the category and its legal basis are sent.
    assert fields["content"].startswith("宣扬低俗、庸俗、媚俗内容") and "第七条" in fields["content"]


@pytest.mark.parametrize("kind, category, code", [
    ("comment", "cn.illegal.constitution", 6),          # listed by id
    ("comment", "cn.illegal.cult_superstition", 9),     # cn.illegal.* of 违法违规
    ("comment", "cn.bad.clickbait", 0),                 # the default, 其他
    ("comment", "minors.personal_info", 15),            # an id beats minors.*
    ("comment", "minors.extreme_emotion", 17),          # minors.*
    ("video", "cn.bad.gossip", 10019),
    ("video", "minors.unsafe_imitation", 10020),
    ("video", "minors.bad_habits", 10000),
    ("video", "cn.illegal.state_security", 2),
    ("video", "dsa.other_violation_tc", 10022),
])
def test_bilibili_reason_codes(kind, category, code):
    request = prepare(BILIBILI, kind, category, VIDEO, "x", TARGETS["bilibili"])
    assert request["reason"]["code"] == code
    assert request["fields"]["tid" if kind == "video" else "reason"] == str(code)


def test_bilibili_copyright_is_finished_on_the_page():
    request = prepare(BILIBILI, "video", "dsa.intellectual_property_infringements", VIDEO, "")
    assert request["mode"] == "manual" and request["manual_url"] == VIDEO["url"]


def test_numeric_bilibili_ids_pass_through_bv2av():
    request = prepare(BILIBILI, "video", "cn.bad.vulgar", dict(VIDEO, id="113517329110291"), "x")
    assert request["fields"]["aid"] == "113517329110291"


def test_weibo_report_form():
    item = {"platform": "weibo", "kind": "post", "id": "z0JH2lOMb", "author_id": "1642591402"}
    request = prepare(WEIBO, "post", "cn.bad.vulgar", item, "低俗", {"uid": "5600000001"})
    assert request["url"] == "https://service.account.weibo.com/aj/reportspam"
    assert request["origin"] == "https://service.account.weibo.com"
    assert request["fields"] == {
        "category": "2", "tag_id": "202", "extra": "低俗", "url": "", "type": "1",
        "rid": "3501756485200075", "getrid": "3501756485200075", "r_uid": "1642591402",
        "uid": "5600000001", "from": "10501", "appGet": "0", "weiboGet": "0", "blackUser": "0", "_t": "0"}
    assert request["cookies"] == []
    assert request["manual_url"] == ("https://service.account.weibo.com/reportspam"
                                     "?rid=3501756485200075&type=1&from=10501")
    assert prepare(WEIBO, "post", "cn.illegal.heroes", item, "", {"uid": "1"})["fields"]["tag_id"] == "804"
    assert prepare(WEIBO, "post", "cn.act.insult_threat_privacy", item, "")["mode"] == "manual"


def test_reddit_report():
    item = {"platform": "reddit", "kind": "post", "id": "t3_1abcde", "url": "https://www.reddit.com/r/x/comments/1abcde/t/"}
    request = prepare(REDDIT, "post", "minors.sexual_content", item, "a child", {"modhash": "mh123"})
    assert request["url"] == "https://www.reddit.com/api/report"
    assert request["fields"] == {"thing_id": "t3_1abcde", "reason": "site_reason_selected",
                                 "site_reason": "It's sexual or suggestive content involving minors",
                                 "custom_text": "a child", "api_type": "json", "uh": "mh123"}
    assert prepare(REDDIT, "post", "cn.illegal.heroes", item, "")["mode"] == "manual"


def test_youtube_is_manual_with_the_dialog_reason():
    item = {"platform": "youtube", "kind": "video", "id": "dQw4w9WgXcQ",
            "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}
    result = prepare(YOUTUBE, "video", "cn.illegal.rumor", item, "false claim")
    assert result["mode"] == "manual" and result["manual_url"] == item["url"]
    assert result["reason"]["label"] == "Misinformation"
    assert "Misinformation" in result["text"] and "false claim" in result["text"]


@pytest.mark.parametrize("adapter, kind, item, target, missing", [
    (BILIBILI, "comment", {"id": "1"}, None, "target.type, target.oid, target.rpid"),
    (BILIBILI, "comment", {"id": "1"}, {"type": 1, "oid": 2}, "target.rpid"),
    (BILIBILI, "video", {"id": "not-a-bv"}, None, "item.id usable by bv2av"),
    (BILIBILI, "video", {}, None, "item.id"),
    (WEIBO, "post", {"id": "z0JH2lOMb", "author_id": "1"}, None, "target.uid"),
    (WEIBO, "post", {"id": "z0JH2lOMb"}, {"uid": "1"}, "item.author_id"),
    (REDDIT, "post", {"id": "t3_x"}, None, "target.modhash"),
])
def test_missing_ids_are_named(adapter, kind, item, target, missing):
    with pytest.raises(ReportError) as err:
        prepare(adapter, kind, "cn.bad.vulgar", item, "x", target)
    assert missing in str(err.value)


def test_unknown_kind_or_category():
    with pytest.raises(ReportError, match="cannot report a 'podcast'"):
        prepare(BILIBILI, "podcast", "cn.bad.vulgar", VIDEO, "")
    with pytest.raises(ReportError, match="unknown category 'cn.bad.nope'"):
        prepare(BILIBILI, "video", "cn.bad.nope", VIDEO, "")
    with pytest.raises(ReportError):
        choices(BILIBILI, "podcast", "zh")


def test_choices_rows():
    rows = {r["category"]: r for r in choices(BILIBILI, "video", "zh")}
    rumor = rows["cn.illegal.rumor"]
    assert rumor["label"] == "散布谣言，扰乱经济秩序和社会秩序" and rumor["group"] == "cn.illegal"
    assert rumor["mode"] == "api" and rumor["reason"]["code"] == 10015
    assert rumor["topics"] == ["misleading", "illegal"]  # the picker's plain question, from the data
    assert rows["cn.ad.unlabelled"]["topics"] == ["ad"]
    assert rows["dsa.intellectual_property_infringements"]["mode"] == "manual"
    english = {r["category"]: r for r in choices(BILIBILI, "video", "en")}
    assert english["cn.illegal.rumor"]["label"].startswith("Spreading rumours")


def test_adapter_without_report_section():
    adapter = compile_adapter(parse(_demo_text(""), "demo.yaml"))
    assert report_kinds(adapter) == []
    with pytest.raises(ReportError, match="no report section"):
        choices(adapter, "video", "en")


# ---- reading answers ---------------------------------------------------------------------------

# Per platform: (http status, body) -> status the report gets.
ANSWERS = {
    "bilibili": [
        ((200, '{"code":0,"message":"0","ttl":1}'), "submitted"),
        ((200, '{"code":12008,"message":"已经举报过了"}'), "duplicate"),
        ((200, '{"code":12019,"message":"举报过于频繁"}'), "rate_limited"),
        ((200, '{"code":-111,"message":"csrf 校验失败"}'), "failed"),
        ((200, '{"code":-101,"message":"账号未登录"}'), "failed"),
    ],
    "weibo": [
        ((200, '{"code":"100000","msg":"","data":null}'), "submitted"),
        ((200, '{"code":"100003","msg":"您已经举报过"}'), "duplicate"),
        ((200, '{"code":"100002","msg":"请先登录"}'), "failed"),
    ],
    "reddit": [
        ((200, '{"json": {"errors": []}}'), "submitted"),
        ((200, '{"json": {"errors": [["RATELIMIT", "you are doing that too much", "ratelimit"]]}}'),
         "rate_limited"),
        ((200, '{"json": {"errors": [["USER_REQUIRED", "please login to do that", null]]}}'), "failed"),
        ((403, '{"message": "Forbidden", "error": 403}'), "failed"),
    ],
}
COMMON = [((429, "Too Many Requests"), "rate_limited"), ((503, "Service Unavailable"), "failed"),
          ((0, ""), "failed"), ((200, "<html>login</html>"), "failed")]


@pytest.mark.parametrize("adapter, kind", API_KINDS, ids=ids(API_KINDS))
def test_interpret(adapter, kind):
    assert adapter.platform in ANSWERS, "add this platform's answers to ANSWERS"
    for (status, body), expected in ANSWERS[adapter.platform] + COMMON:
        got, message = interpret(adapter, kind, status, body)
        assert got == expected, (status, body, got, message)
        assert message


def test_interpret_messages_quote_the_platform():
    status, message = interpret(BILIBILI, "video", 200, json.dumps({"code": 12019, "message": "举报过于频繁"}))
    assert status == "rate_limited" and "12019" in message and "举报过于频繁" in message


def test_interpret_refuses_manual_kinds():
    with pytest.raises(ReportError):
        interpret(YOUTUBE, "video", 200, "{}")


# ---- ids ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("bvid, aid", [
    ("BV17x411w7KC", 170001), ("BV1Q541167Qg", 455017605), ("BV1mK4y1C7Bz", 882584971),
    ("BV1UM411d7LQ", 536870911), ("BV1Si4y1e72D", 536870912), ("BV1L9Uoa9EUx", 111298867365120),
])
def test_bv2av_known_pairs(bvid, aid):
    assert bv2av(bvid) == str(aid)
    assert av2bv(aid) == bvid


def test_bv2av_passes_numbers_and_refuses_junk():
    assert bv2av("170001") == bv2av("av170001") == bv2av("AV170001") == "170001"
    for junk in ("BV17x411w7K", "BV17x411w7K0", "xyz", ""):
        with pytest.raises(ValueError):
            bv2av(junk)


@pytest.mark.parametrize("mblogid, mid", [
    ("z0JH2lOMb", "3501756485200075"), ("z08AUBmUe", "3500330408906190"),
    ("yAt1n2xRa", "3486913690606804"), ("3501756485200075", "3501756485200075"),
])
def test_weibo_mid(mblogid, mid):
    assert weibo_mid(mblogid) == mid


# ---- broken sections ---------------------------------------------------------------------------

def _demo_text(report: str) -> str:
    return (Path(__file__).parent / "data" / "demo.yaml").read_text(encoding="utf-8") + report


GOOD_REPORT = """report:
  manual_url: https://demo.test/report
  kinds:
    video:
      method: POST
      url: https://api.demo.test/report
      fields: {id: "{item.id}", why: "{reason}", csrf: "{cookie:token}"}
      result: {code: code, ok: [0]}
      reasons:
        - {code: 1, label: 违法, categories: [cn.illegal.*]}
        - {code: 0, label: 其他, default: true}
"""


def _line_of(text: str, needle: str) -> int:
    """Line of the first `needle` inside the report section."""
    lines = text.splitlines()
    start = lines.index("report:")
    return next(i for i, line in enumerate(lines[start:], start + 1) if needle in line)


def test_good_report_section_loads_and_prepares():
    adapter = compile_adapter(parse(_demo_text(GOOD_REPORT), "demo.yaml"))
    request = prepare(adapter, "video", "cn.illegal.rumor", {"id": "v1"}, "x")
    assert request["fields"] == {"id": "v1", "why": "1", "csrf": "{cookie:token}"}


@pytest.mark.parametrize("change, needle, message", [
    (("  manual_url: https://demo.test/report\n", ""), "report:", "'manual_url' is a required"),
    (('"{item.id}"', '"{item.id|nosuch}"'), "fields:", "report.kinds.video.fields.id"),
    (('"{cookie:token}"', '"{cookie:}"'), "fields:", "report.kinds.video.fields.csrf"),
    (("      result: {code: code, ok: [0]}\n", ""), "video:", "'result' is a required"),
    (("{code: 1, label: 违法,", "{label: 违法,"), "label: 违法", "'code' is a required"),
    (("categories: [cn.illegal.*]", "categories: [illegal]"), "label: 违法", "report.kinds.video.reasons.0.categories.0"),
    (("url: https://api.demo.test/report", "url: http://api.demo.test/report"), "url: http://", "report.kinds.video.url"),
])
def test_broken_section_gives_file_and_line(change, needle, message):
    text = _demo_text(GOOD_REPORT.replace(*change))
    with pytest.raises(AdapterError) as err:
        compile_adapter(parse(text, "demo.yaml"))
    line = _line_of(text, needle)
    assert any(m.startswith(f"demo.yaml:{line}:") and message in m for m in err.value.messages), \
        (line, err.value.messages)


@pytest.mark.parametrize("change, needle, message", [
    (("[cn.illegal.*]", "[cn.illegal.nope]"), "label: 违法", "unknown category 'cn.illegal.nope'"),
    (("[cn.illegal.*]", "[cn.nope.*]"), "label: 违法", None),  # refused by the schema already
    (("[cn.illegal.*]", "[cn.illegal.rumor, cn.illegal.rumor]"), "label: 违法", None),
    (("{code: 0, label: 其他, default: true}", "{code: 0, label: 其他, default: true, categories: [cn.illegal.*]}"),
     "label: 其他", "mapped twice"),
    (("        - {code: 0, label: 其他, default: true}\n", ""), "reasons:", "categories without a reason"),
    (('why: "{reason}"', 'why: "{reason.kind}"'), "label: 违法", "uses {reason.kind}"),
])
def test_semantic_problems_give_file_and_line(tmp_path, change, needle, message):
    text = _demo_text(GOOD_REPORT.replace(*change))
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        adapter = load_adapters([path]).adapters[0]
    except IndexError:
        assert message is None  # the schema refused it (uniqueItems / pattern)
        return
    errors = check_report(adapter, CATEGORIES)
    line = _line_of(text, needle)
    assert any(e.startswith(f"{path}:{line}:") and message in e for e in errors), (line, errors)


def test_rules_check_reports_a_broken_section(tmp_path, capsys):
    path = tmp_path / "platforms" / "demo.yaml"
    path.parent.mkdir()
    text = _demo_text(GOOD_REPORT.replace("method: POST", "method: PUT"))
    path.write_text(text, encoding="utf-8")
    assert feedlens_main(["rules", "check", str(path)]) == 1
    assert f"{path}:{_line_of(text, 'method: PUT')}: report.kinds.video.method" in capsys.readouterr().out


def test_templates_module_reads_categories_beside_the_adapter(tmp_path):
    """An adapter from another rules dir uses that dir's categories.yaml."""
    rules = tmp_path / "rules"
    (rules / "platforms").mkdir(parents=True)
    (rules / "categories.yaml").write_text(
        "title: t\nversion: 1\ncategories:\n  - {id: cn.illegal.rumor, topics: [misleading], zh: 谣言, en: Rumour, ref: r}\n",
        encoding="utf-8")
    path = rules / "platforms" / "demo.yaml"
    path.write_text(_demo_text(GOOD_REPORT), encoding="utf-8")
    adapter = load_adapters([path]).adapters[0]
    assert [r["category"] for r in templates.choices(adapter, "video", "en")] == ["cn.illegal.rumor"]
