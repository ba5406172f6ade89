"""Every /api route of the minors feature, with a request that succeeds given the token
(tests/test_service_security.py runs the token, Host and Origin checks over each)."""

MINORS_API_ROUTES: list[tuple[str, str, dict | None]] = []

# Paths in the rows above whose successful answer on an empty store is 404.
MINORS_MISSING_OK: set[str] = set()
