"""Every /api route of the research feature, with a request that succeeds given the token
(tests/test_service_security.py runs the token, Host and Origin checks over each)."""

CONSENT = {"study_id": "feeds-2026", "consent_version": "1.0", "fields": ["title"],
           "retention_days": 30}

RESEARCH_API_ROUTES: list[tuple[str, str, dict | None]] = [
    ("GET", "/api/research", None),
    ("POST", "/api/research/consent", CONSENT),
    ("POST", "/api/research/disable", {}),
    ("POST", "/api/research/pause", {"paused": True}),
    ("GET", "/api/research/preview?limit=5", None),
    ("POST", "/api/research/delete", {"since": 0, "until": 2_000_000_000}),
    # charts, the switch audit and the monthly report (feedlens/service/research_views.py)
    ("GET", "/api/research/charts/composition?days=7&platform=demo", None),
    ("GET", "/api/research/charts/shares?days=7", None),
    ("GET", "/api/research/charts/sources?days=7&limit=5", None),
    ("GET", "/api/research/charts/formats?days=7&platform=demo", None),
    ("GET", "/api/research/audit", None),
    ("POST", "/api/research/audit", {"platform": "demo", "note": "check", "condition": "on"}),
    ("POST", "/api/research/audit/1/condition", {"condition": "off"}),
    ("POST", "/api/research/audit/1/finish", {}),
    ("GET", "/api/research/audit/1/report", None),
    ("GET", "/api/research/monthly?month=2026-11", None),
]

# Paths in the rows above whose successful answer on an empty store is 404.
RESEARCH_MISSING_OK: set[str] = {"/api/research/pause"}  # nothing to pause while research is off
RESEARCH_MISSING_OK |= {"/api/research/audit/1/condition", "/api/research/audit/1/finish",
                        "/api/research/audit/1/report"}  # no audit session yet
