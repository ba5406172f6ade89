"""The proxy auto-config file (`/proxy.pac`): the platforms' hosts go to the proxy, everything
else DIRECT, so a household's devices send only the feeds through the intercepting proxy, never
their banking, mail or school apps.

The hosts come from the live adapter set (bundled rules, the user's rules and packs): every
endpoint host, the `feed_like:` canary hosts and the `pages:` web hosts. A `*.x.com` pattern
stands for x.com and every name under it, a `pages:` host for its whole site. Endpoints
that match any host (`*`: Mastodon instances, Bluesky PDSes) cannot be listed: their `pages:`
sites are (mastodon.social, bsky.app with api.bsky.app); other instances come with a user pack.
"""

from __future__ import annotations

import json
import re

# Second-level labels under a two-letter country code that belong to the suffix (bbc.co.uk is
# one site, not co.uk); extension/build.py hands the same list to the extension's sites.js.
SITE_SECOND_LEVEL = ("co", "com", "edu", "gov", "net", "org")
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")


def site(host: str) -> str:
    """"www.bilibili.com" and "api.bilibili.com" are both site "bilibili.com"."""
    labels = host.lower().removeprefix("*.").split(".")
    short = len(labels) > 2 and len(labels[-1]) == 2 and labels[-2] in SITE_SECOND_LEVEL
    return ".".join(labels[-3:] if short else labels[-2:])


def adapter_hosts(adapter) -> tuple[set[str], set[str]]:
    """(exact names, domains with every name under them) that one adapter names.

    Endpoint and `feed_like:` hosts as written (`*.x.com` is the domain x.com); a `pages:` web
    host stands for its whole site, whose subdomains serve the feed (bsky.app's api.bsky.app)."""
    raw = adapter.raw or {}
    feed_like = raw.get("feed_like") if isinstance(raw.get("feed_like"), dict) else {}
    named = {h for e in adapter.endpoints for h in e.hosts} | set(feed_like.get("hosts") or [])
    exact = {h.lower() for h in named if isinstance(h, str) and h != "*" and not h.startswith("*.")}
    domains = {h[2:].lower() for h in named if isinstance(h, str) and h.startswith("*.")}
    domains |= {site(h) for h in raw.get("pages") or [] if isinstance(h, str)}
    return exact, domains


def platform_hosts(adapters) -> tuple[list[str], list[str]]:
    """(exact names, domains) of every adapter, sorted; only plain DNS names, and no exact name
    a domain already covers."""
    exact, domains = set(), set()
    for adapter in adapters.adapters:
        more_exact, more_domains = adapter_hosts(adapter)
        exact |= more_exact
        domains |= more_domains
    domains = {d for d in domains if _NAME.match(d) and "." in d}
    exact = {h for h in exact if _NAME.match(h) and not _under(h, domains)}
    return sorted(exact), sorted(domains)


def _under(host: str, domains: set[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def pac_text(hosts: tuple[list[str], list[str]], proxy: str) -> str:
    """The PAC script: `PROXY <proxy>` for an exact name, a domain or a name under a domain."""
    exact, domains = (json.dumps(list(x), separators=(",", ":")) for x in hosts)
    # "; DIRECT": with feedlens down the devices browse on (the proxy fails open, so does its PAC)
    target = json.dumps(f"PROXY {proxy}; DIRECT")
    return (
        "// feedlens: only the platforms' hosts go through the proxy; everything else DIRECT.\n"
        f"var FEEDLENS_HOSTS = {exact};\n"
        f"var FEEDLENS_DOMAINS = {domains};\n"
        "function FindProxyForURL(url, host) {\n"
        "  host = host.toLowerCase();\n"
        "  var i;\n"
        "  for (i = 0; i < FEEDLENS_HOSTS.length; i++) {\n"
        f"    if (host == FEEDLENS_HOSTS[i]) return {target};\n"
        "  }\n"
        "  for (i = 0; i < FEEDLENS_DOMAINS.length; i++) {\n"
        "    var d = FEEDLENS_DOMAINS[i];\n"
        f"    if (host == d || dnsDomainIs(host, '.' + d)) return {target};\n"
        "  }\n"
        "  return 'DIRECT';\n"
        "}\n")
