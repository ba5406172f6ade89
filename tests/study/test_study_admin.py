"""The study server's admin page against a real PostgreSQL: the admin token exchanged once for a
strict session cookie, forms refused without their CSRF value, from another origin or under
another Host name; creating a study, a new consent version and invitation codes from the page;
the researcher's view with its charts; the participant's read-only join page."""

from __future__ import annotations

import re

from .support import ADMIN, NOW, TOKEN, record, signed, study_spec, upload_body

DAY = 86400.0


async def _login(client) -> str:
    response = await client.post("/admin/login", data={"token": TOKEN, "lang": "en"},
                                 headers={"Origin": client.origin}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return await (await client.get("/admin")).text()


def _csrf(page: str, action: str) -> str:
    form = re.search(rf'<form method="post" action="{re.escape(action)}">\s*'
                     r'<input type="hidden" name="csrf" value="([0-9a-f]+)">', page)
    assert form, f"no form for {action}"
    return form.group(1)


async def _post(client, action: str, page: str, **data):
    return await client.post(action, data={"csrf": _csrf(page, action), "lang": "en", **data},
                             headers={"Origin": client.origin}, allow_redirects=False)


async def test_the_token_is_exchanged_once_for_a_strict_session_cookie(server):
    locked = await server.get("/admin")
    assert 'name="token"' in await locked.text() and "Create a study" not in await locked.text()
    assert "script-src" not in locked.headers["Content-Security-Policy"]
    wrong = await server.post("/admin/login", data={"token": "x" * len(TOKEN)},
                              headers={"Origin": server.origin})
    assert wrong.status == 401 and "not the admin token" in await wrong.text()
    hidden = await server.post("/admin/login", data={"token": TOKEN})  # no Origin, no Sec-Fetch-Site
    assert hidden.status == 403
    cross = await server.post("/admin/login", data={"token": TOKEN},
                              headers={"Origin": "https://evil.example"})
    assert cross.status == 403
    response = await server.post("/admin/login", data={"token": TOKEN},
                                 headers={"Sec-Fetch-Site": "same-origin"}, allow_redirects=False)
    cookie = response.headers["Set-Cookie"]
    assert response.status == 303 and TOKEN not in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "Create a study" in await (await server.get("/admin")).text()
    rebound = await server.get("/admin", headers={"Host": f"evil.example:{server.port}"})
    assert "Create a study" not in await rebound.text()  # DNS rebinding: another name, no session


async def test_forms_need_their_csrf_value_the_own_origin_and_a_live_session(pg_dsn, server):
    page = await _login(server)
    form = {"id": "s2", "title_en": "Feeds", "title_zh": "信息流", "version": "1",
            "consent_en": "We record feeds.", "consent_zh": "我们记录信息流。", "fields": "title",
            "retention_days": "30", "upload_interval": "60", "start": "2020-01-01", "end": "2099-01-01"}
    logout = _csrf(page, "/admin/logout")
    refused = [
        await server.post("/admin/studies", data=form, headers={"Origin": server.origin}),
        await server.post("/admin/studies", data={**form, "csrf": logout},
                          headers={"Origin": server.origin}),  # another form's value
        await server.post("/admin/studies", data={**form, "csrf": _csrf(page, "/admin/studies")},
                          headers={"Sec-Fetch-Site": "cross-site"}),
    ]
    assert [r.status for r in refused] == [403, 403, 403]
    made = await _post(server, "/admin/studies", page, **form)
    assert made.status == 303 and made.headers["Location"].startswith("/admin/studies/s2?")
    study_page = await (await server.get("/admin/studies/s2")).text()
    changed = await _post(server, "/admin/studies/s2/consent", study_page, version="2",
                          consent_en="We record feeds and titles.")
    assert changed.status == 303
    codes_page = await _post(server, "/admin/studies/s2/invitations",
                             await (await server.get("/admin/studies/s2")).text(), count="2")
    codes = re.findall(r"<td><code>([0-9A-F]{16})</code></td>", await codes_page.text())
    assert codes_page.status == 201 and len(codes) == 2
    enrolled = await server.post("/api/enrol", json={"code": codes[0], "consent_version": "2",
                                                     "fields": ["title"], "language": "en"})
    assert enrolled.status == 200 and (await enrolled.json())["study"]["consent"]["version"] == "2"
    bad = await _post(server, "/admin/studies", page, **{**form, "id": "s3", "end": "2019-01-01"})
    assert bad.status == 400 and "end must be after start" in await bad.text()
    assert (await _post(server, "/admin/logout", page)).status == 303
    assert "Create a study" not in await (await server.get("/admin")).text()


async def _enrol_two(server) -> list[dict]:
    assert (await server.post("/api/admin/studies", json=study_spec(), headers=ADMIN)).status == 201
    codes = (await (await server.post("/api/admin/studies/s1/invitations", json={"count": 2},
                                      headers=ADMIN)).json())["codes"]
    people = []
    for code in codes:
        answer = await server.post("/api/enrol", json={"code": code, "consent_version": "1",
                                                       "fields": ["title"], "language": "en"})
        people.append(await answer.json())
    return people


async def _upload(server, who, rows):
    body = upload_body(rows)
    response = await server.post("/api/upload", data=body, headers=signed(who, "/api/upload", body))
    assert response.status == 200, await response.text()


async def test_the_researchers_view_draws_participation_composition_and_quality(server):
    alice, bob = await _enrol_two(server)
    await _upload(server, alice, [record(alice, n, NOW - (n % 2) * DAY, platform="youtube")
                                  for n in range(4)])
    await _upload(server, bob, [record(bob, 1, surface="unclaimed", provenance="unknown"),
                                record(bob, 2, surface="search", provenance="search")])
    body = b'{"paused": true}'
    assert (await server.post("/api/state", data=body, headers=signed(bob, "/api/state", body))).status == 200
    view = await (await server.get("/api/admin/studies/s1/view", headers=ADMIN)).json()
    today = view["over_time"]["participation"][-1]
    assert (today["active"], today["paused"], today["withdrawn"], today["uploading"]) == (1, 1, 0, 2)
    surfaces: dict[str, int] = {}
    for row in view["over_time"]["composition"]["surface"]:  # two days
        surfaces[row["value"]] = surfaces.get(row["value"], 0) + row["n"]
    assert surfaces == {"home": 4, "unclaimed": 1, "search": 1}
    demo, = [p for p in view["over_time"]["quality"]["platforms"] if p["platform"] == "demo"]
    assert demo["unclaimed_share"] == 0.5 and demo["unknown_share"] == 0.5
    assert view["over_time"]["switch_audit"]["platforms"] == []  # no record carries a condition
    await _login(server)
    page = await (await server.get("/admin/studies/s1?lang=zh")).text()
    assert "参与情况" in page and "开关审计" in page and "<script" not in page
    svgs = re.findall(r"<svg [^>]*role=\"img\".*?</svg>", page, re.S)  # the charts, not the legends
    assert len(svgs) == 4  # participation, provenance, platform, surface
    participation = svgs[0]
    assert re.search(r'class="seg s-active"[^>]*data-key="active" data-n="1"', participation)
    assert re.search(r'class="seg s-paused"[^>]*data-key="paused" data-n="1"', participation)
    assert 'data-provenance="search"' in svgs[1] and 'data-key="youtube" data-n="2"' in svgs[2]
    assert 'data-key="unclaimed" data-n="1"' in svgs[3] and "50.0 %" in page


async def test_the_join_page_shows_the_consent_and_leaves_the_code_unused(server):
    await server.post("/api/admin/studies", json=study_spec(fields=("title", "url")), headers=ADMIN)
    code = (await (await server.post("/api/admin/studies/s1/invitations", json={"count": 1},
                                     headers=ADMIN)).json())["codes"][0]
    zh = await server.get(f"/join?code={code}&lang=zh")
    text = await zh.text()
    assert zh.status == 200 and "我们记录你的信息流内容。" in text and "We record" not in text
    assert "(url)" in text and f"feedlens research join {server.origin} {code}" in text
    assert "Set-Cookie" not in zh.headers and f"/join?code={code}&amp;lang=en" in text  # the picker
    en = await (await server.get(f"/join?code={code}", headers={"Accept-Language": "en"})).text()
    assert "We record what your feeds show." in en
    unknown = await server.get("/join?code=NOPE<b>")
    assert unknown.status == 404 and "NOPE&lt;b&gt;" in await unknown.text()
    enrol = {"code": code, "consent_version": "1", "fields": ["title"], "language": "zh-CN"}
    assert (await server.post("/api/enrol", json=enrol)).status == 200
