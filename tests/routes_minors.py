"""Every /api route of the minors feature, with a request that succeeds given the token
(tests/test_service_security.py runs the token, Host and Origin checks over each)."""

MINORS_API_ROUTES: list[tuple[str, str, dict | None]] = [
    ("GET", "/api/minors/devices", None),
    ("PUT", "/api/minors/devices/user:kid", {"profile": "strict", "label": "Kid"}),
    ("POST", "/api/minors/devices/user:nobody/remove", None),
    ("GET", "/api/minors/requests", None),
    ("POST", "/api/minors/requests/999", {"approve": True}),
    ("POST", "/api/minors/grant", {"device": "user:kid", "minutes": 15}),
    ("GET", "/api/minors/overview", None),
    ("GET", "/api/minors/audit", None),
    ("GET", "/api/minors/pin", None),
]

# Paths in the rows above whose successful answer on an empty store is 404.
MINORS_MISSING_OK: set[str] = {"/api/minors/devices/user:nobody/remove", "/api/minors/requests/999"}
