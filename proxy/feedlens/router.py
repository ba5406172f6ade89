"""Route (method, host, path) to the adapter endpoints that may claim it, fast."""

from __future__ import annotations

import re
from functools import lru_cache

# Endpoint (feedlens.adapters) is only used through its attributes: no import, no cycle.
Endpoint = object


class Router:
    """Finds the endpoints for (method, host, path). Built once; lookups are dict hits.

    Hosts not served by any adapter cost one or two dict lookups, so non-feed traffic
    is dismissed in microseconds.
    """

    def __init__(self, endpoints: list[Endpoint]):
        self._exact: dict[str, list[Endpoint]] = {}
        self._suffix: dict[str, list[Endpoint]] = {}
        self._any: list[Endpoint] = []
        self._any_paths: set[str] = set()
        self._any_regex_prefixes: tuple[str, ...] = ()
        prefixes = []
        for endpoint in endpoints:
            for host in endpoint.hosts:
                if host == "*":
                    self._any.append(endpoint)
                    self._any_paths.update(endpoint.paths)
                    if endpoint.path_regex is not None:
                        prefixes.append(_literal_prefix(endpoint.path_regex.pattern))
                    if endpoint.graphql is not None:
                        prefixes.append("/")
                elif host.startswith("*."):
                    self._suffix.setdefault(host[2:], []).append(endpoint)
                else:
                    self._exact.setdefault(host, []).append(endpoint)
        self._any_regex_prefixes = tuple(sorted(set(prefixes)))
        self._for_host = lru_cache(maxsize=4096)(self._candidates_for_host)

    def _candidates_for_host(self, host: str) -> tuple[Endpoint, ...]:
        found = list(self._exact.get(host, ()))
        labels = host.split(".")
        for i in range(len(labels)):
            found.extend(self._suffix.get(".".join(labels[i:]), ()))
        return tuple(found)

    def route(self, method: str, host: str, path: str) -> list[Endpoint]:
        """Endpoints whose host, path and method match (request conditions not yet checked)."""
        candidates = self._for_host(host.lower())
        if self._any and (path in self._any_paths or path.startswith(self._any_regex_prefixes)):
            candidates = candidates + tuple(self._any)
        if not candidates:
            return []
        return [e for e in candidates
                if (not e.methods or method in e.methods) and e.path_matches(path)]


def _literal_prefix(pattern: str) -> str:
    """The literal text a path regex starts with (after ^), used as a cheap gate."""
    pattern = pattern.lstrip("^")
    prefix = ""
    for char in pattern:
        if char in ".^$*+?{}[]\\|()":
            break
        prefix += char
    return prefix or "/"


def path_claims(graphql: str | None, path_regex: re.Pattern | None, paths: tuple[str, ...],
                path: str) -> bool:
    """A `match:`'s path test, shared by endpoints and choice rules."""
    if graphql is not None:
        operation = graphql_operation(path)
        # No operation in the path (POST /graphql): the body's operationName decides later.
        return operation == graphql or (operation is None and path.endswith("/graphql"))
    if path_regex is not None:
        return path_regex.search(path) is not None
    return path in paths


def operation_claims(graphql: str | None, path: str, body) -> bool:
    """The request's GraphQL operation is `graphql` (or none is asked for): named in the path,
    or, for a POST to /graphql, in the body's operationName."""
    if graphql is None or graphql_operation(path) is not None:
        return True
    return isinstance(body, dict) and body.get("operationName") == graphql


def graphql_operation(path: str) -> str | None:
    """The operation name of /…/graphql/<hash>/<Operation> (or /graphql/<Operation>)."""
    marker = path.find("/graphql/")
    if marker < 0:
        return None
    rest = path[marker + len("/graphql/"):].strip("/")
    return rest.rsplit("/", 1)[-1] or None
