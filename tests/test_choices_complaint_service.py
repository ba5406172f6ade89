"""From a revert on the dashboard's "Your choices" page to a prepared complaint (issue 22): the
form (csrf, own Origin) prepares it as `feedlens choices complaint` does and leads to the
report's page with its texts and the bundle download; the reports list names its category and
the reports API's notice endpoint answers with the complaint's own text. Real service, real
store; the revert is seeded through the watchdog's observe() with evidence naming a cookie and
an Authorization header, which must not reach the bundle."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile

from feedlens.choice import Observation
from feedlens.choices.watchdog import Watchdog

from .service_support import client, rules_dir, runtime, token  # noqa: F401 (fixtures)
from .test_rules_page import csrf_of, enter, post_form

SECRETS = ("SESSDATA=cookie-secret-3141", "Bearer bearer-secret-2718")


def reading(state: str) -> Observation:
    return Observation("demo", "personalised_recommendation", "feed-flag", "flag", "confirmed", state,
                       {"field": "query.disable_rcmd", "value": "0" if state == "personalised" else "1",
                        "method": "GET", "host": "api.demo.test", "path": "/feed/home",
                        "cookie": SECRETS[0], "authorization": SECRETS[1]})


async def seeded(runtime) -> int:
    watchdog, now = Watchdog(runtime.store), time.time()
    for state, ago in (("not_personalised", 30), ("personalised", 20), ("personalised", 10)):
        await watchdog.observe(reading(state), "10.0.0.2", now - ago)
    return await runtime.store.run_read(lambda db: db.execute("SELECT id FROM choice_reverts").fetchone()[0])


async def prepare(client, html: str, revert_id: int, jurisdiction: str, csrf: str | None = None):
    return await post_form(client, "/choices/complaint", {
        "csrf": csrf or csrf_of(html, "/choices/complaint"), "revert": str(revert_id),
        "jurisdiction": jurisdiction, "lang": "en"})


async def test_the_form_prepares_the_complaint_and_shows_it(client, token, runtime):
    revert_id = await seeded(runtime)
    await enter(client, token)
    html = await (await client.get("/choices?lang=en")).text()
    assert f'data-revert="{revert_id}"' in html and "Prepare a complaint" in html
    shown = await (await client.get("/api/choices", headers={"Authorization": f"Bearer {token}"})).text()
    assert "query.disable_rcmd" in shown and not any(secret in shown for secret in SECRETS)
    refused = await prepare(client, html, revert_id, "cn", csrf="0" * 64)
    assert refused.status == 403
    done = await prepare(client, html, revert_id, "cn")
    assert done.status == 303
    report_id = int(re.fullmatch(r"/reports/(\d+)\?lang=en", done.headers["Location"]).group(1))
    again = await prepare(client, html, revert_id, "cn")  # the same revert and jurisdiction
    assert again.headers["Location"] == done.headers["Location"]

    page = await (await client.get(f"/reports/{report_id}?lang=en")).text()
    assert 'data-part="complaint-cn.en.txt"' in page and 'data-part="complaint-cn.zh.txt"' in page
    assert page.index("complaint-cn.en.txt") < page.index("complaint-cn.zh.txt")
    assert "12377" in page and f'href="/reports/{report_id}/bundle.zip"' in page
    zh = await (await client.get(f"/reports/{report_id}?lang=zh")).text()
    assert "投诉文本" in zh and "第十七条" in zh

    listed = await (await client.get("/reports?lang=en")).text()
    assert "Personalisation choice not honoured (Algorithmic Recommendation Provisions Art 17)" in listed

    response = await client.get(f"/reports/{report_id}/bundle.zip")
    assert response.status == 200
    with zipfile.ZipFile(io.BytesIO(await response.read())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(next(data for name, data in files.items() if name.endswith("manifest.json")))
    for part in manifest["parts"]:
        data = next(d for name, d in files.items() if name.endswith("/" + part["name"]) or name == part["name"])
        assert hashlib.sha256(data).hexdigest() == part["sha256"]
    for data in files.values():
        assert not any(secret.encode() in data for secret in SECRETS)


async def test_the_notice_endpoint_answers_with_the_complaints_text(client, token, runtime):
    revert_id = await seeded(runtime)
    await enter(client, token)
    html = await (await client.get("/choices?lang=en")).text()
    done = await prepare(client, html, revert_id, "eu")
    report_id = int(re.search(r"/reports/(\d+)", done.headers["Location"]).group(1))
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/api/reports/{report_id}/notice"
    answer = await client.get(f"{url}?channel=dsa&lang=en&name=Ada&email=ada@example.org", headers=auth)
    assert answer.status == 200
    text = (await answer.json())["text"]
    assert "Art 38" in text and "Ada ada@example.org" in text and "(fill in)" not in text
    assert (await client.get(f"{url}?channel=12377", headers=auth)).status == 404  # prepared for the EU


async def test_the_form_refuses_an_unknown_revert_or_jurisdiction(client, token, runtime):
    revert_id = await seeded(runtime)
    await enter(client, token)
    html = await (await client.get("/choices?lang=en")).text()
    assert (await prepare(client, html, revert_id + 99, "cn")).status == 404
    assert (await prepare(client, html, revert_id, "us")).status == 400
    assert await runtime.store.run_read(lambda db: db.execute("SELECT COUNT(*) FROM reports").fetchone()[0]) == 0
