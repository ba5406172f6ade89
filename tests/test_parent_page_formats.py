"""The parent's page shows each limited format's minutes today against its budget (en, zh-CN)."""

from __future__ import annotations

import time

import pytest

from feedlens import i18n, paths
from feedlens.service import ServiceConfig, init_app
from feedlens.service.parent_page import _formats
from tests.service_support import rules_dir, runtime, token  # noqa: F401 (fixtures)

from .test_parent_page import enter, get_page

pytestmark = pytest.mark.filterwarnings("error")

CLIPS = """\
title: Clips kid
version: 1
rules: []
limits:
  formats:
    short_video: {minutes: 0}
    live: {minutes: 30}
"""


@pytest.fixture
async def client(aiohttp_client, runtime):  # noqa: F811
    return await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))


async def test_the_page_shows_minutes_per_limited_format(client, token, runtime, rules_dir):  # noqa: F811
    (paths.profiles_dir(rules_dir) / "clips-kid.yaml").write_text(CLIPS, encoding="utf-8")
    minors = runtime.minors
    await minors.set_device("user:kid", "clips-kid", "Mia")
    now = time.time()
    minors.record_feed("user:kid", "clips-kid", now - 120, {}, formats={"live", "video"})
    minors.record_feed("user:kid", "clips-kid", now - 60, {}, formats={"video"})  # 1 min of live
    await enter(client, token)
    _, text = await get_page(client)
    row = text.split("Mia (user:kid)")[1].split("</tr>")[0]
    assert "Short videos: 0 min of 0 min · hidden, budget spent" in row
    assert "Live: 1 min of 30 min" in row and "Live: 1 min of 30 min ·" not in row
    assert "Videos" not in row  # only limited formats are listed
    await enter(client, token, "zh")
    _, zh = await get_page(client, "zh")
    assert "短视频：0 分钟，限额 0 分钟 · 已隐藏，限额已用完" in zh and "直播：1 分钟，限额 30 分钟" in zh
    assert "今日各形式用时" in zh


def test_format_lines_say_a_curfew_and_an_unlimited_day():
    entries = [{"format": "live", "used_minutes": 3.0, "budget_minutes": None, "curfew": "20:00–08:00",
                "hidden": True, "reason": "curfew"},
               {"format": "image", "used_minutes": 0, "budget_minutes": 10, "curfew": "21:00–07:00",
                "hidden": False, "reason": None}]
    assert _formats(entries, i18n.translator("en")) == [
        "Live: 3 min of unlimited · hidden, curfew 20:00–08:00",
        "Images: 0 min of 10 min · curfew 21:00–07:00"]
    assert _formats(entries, i18n.translator("zh"))[0] == "直播：3 分钟，限额 不限 · 已隐藏，禁用时段 20:00–08:00"
