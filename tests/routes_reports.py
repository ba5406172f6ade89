"""Every /api route of the reports feature, with a request that succeeds given the token
(tests/test_service_security.py runs the token, Host and Origin checks over each).

The shared test runtime only has the demo adapter, which has no report section: choices answer
an empty picker, and creating a report there is a clean 404 (tests/test_reports_flow.py covers
the real flow on the bundled Bilibili adapter)."""

REPORT_BODY = {"platform": "demo", "item_id": "v1", "kind": "video", "category": "cn.bad.clickbait",
               "page_url": "https://app.demo.test/v/v1", "client_request_id": "route-row-0001"}

REPORTS_API_ROUTES: list[tuple[str, str, dict | None]] = [
    ("GET", "/api/reports/choices?platform=demo", None),
    ("POST", "/api/reports", REPORT_BODY),
    ("GET", "/api/reports?limit=5", None),
    ("GET", "/api/reports/1", None),
    ("POST", "/api/reports/1/result", {"http_status": 200, "body": '{"code":0}'}),
    ("POST", "/api/reports/1/retry", None),
    ("GET", "/api/reports/1/notice?channel=12377", None),
]

# Paths in the rows above whose successful answer on an empty store is 404.
REPORTS_MISSING_OK: set[str] = {"/api/reports", "/api/reports/1", "/api/reports/1/result",
                                "/api/reports/1/retry", "/api/reports/1/notice?channel=12377"}
