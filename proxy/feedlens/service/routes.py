"""URL table. Route names drive the token policy (see middlewares.PUBLIC_ROUTES)."""

from __future__ import annotations

from aiohttp import web

from . import (choices_api, choices_complaint, choices_declare, dashboard, extension_api, enrol, lang, login, minors_api, pac_route, packs_api,
               packs_page, render, reports_api, research_api, rules_page, setup_page, views)


def setup_routes(app: web.Application) -> None:
    render.setup(app)
    router = app.router
    router.add_get("/", dashboard.page, name="dashboard")
    router.add_get("/favicon.ico", dashboard.favicon, name="favicon")
    router.add_get("/lang", lang.set_language, name="lang")
    router.add_get("/api/health", views.health, name="health")
    router.add_get("/api/dashboard", dashboard.data, name="dashboard_json")
    router.add_post("/api/login-link", login.link, name="login_link")  # token required
    router.add_get("/api/marks", views.marks, name="marks")
    router.add_get("/api/items", views.items, name="items")
    router.add_get("/api/stats", views.stats, name="stats")
    router.add_get("/api/rules/dom", views.rules_dom, name="rules_dom")
    router.add_get("/api/profiles", views.profiles, name="profiles")
    router.add_post("/api/profiles/active", views.set_active_profile, name="profile_active")
    router.add_get("/api/profiles/{name}", views.profile, name="profile")
    router.add_put("/api/profiles/{name}", views.put_profile, name="profile_put")
    extension_api.setup(app)
    rules_page.setup(app)  # /rules and /api/my-rules
    reports_api.setup(app)
    minors_api.setup(app)
    research_api.setup(app)
    setup_page.setup(app)
    enrol.setup(app)  # /enrol: the parent makes a device's enrolment link and QR code
    pac_route.setup(app)  # /proxy.pac: public, like a device's network settings fetch it
    packs_api.setup(app)  # POST /api/packs/update
    packs_page.setup(app)  # /packs and its forms
    choices_api.setup(app)  # /api/choices, /choices and its form
    choices_complaint.setup(app)  # POST /choices/complaint: a revert's complaint, then its report page
    choices_declare.setup(app)  # POST /choices/declare and /api/choices/declare: what the user chose
