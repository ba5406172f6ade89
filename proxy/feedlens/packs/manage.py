"""Subscribing and unsubscribing, shared by the command line and the dashboard: checks of the
URL, name and key, then the subscriptions file and the kept versions changed under the pack's
lock (versions.lock). Errors are SubscriptionError with a message for the user."""

from __future__ import annotations

import ssl
from pathlib import Path

from . import core_key, signing, versions
from .fetch import tls_context
from .subscriptions import (Subscription, SubscriptionError, load_all, name_from_url, name_problem,
                            save_all, url_problem)


def subscribe(url: str, pubkey: str | None, name: str | None = None, data: Path | None = None,
              ca_file: str | None = None) -> Subscription:
    """Record a new subscription (not fetched yet: update it next). `pubkey`: a key file's path
    or its `ed25519:…` line (for feedlens-core: the shipped key, core_key); `ca_file`: the CAs
    its HTTPS server's certificate must chain to."""
    url = url.strip()
    problem = url_problem(url)
    if problem:
        raise SubscriptionError(problem)
    name = (name or "").strip() or name_from_url(url)
    problem = name_problem(name)
    if problem:
        raise SubscriptionError(problem)
    key = _key(name, pubkey)
    ca_file = _ca_file(ca_file)
    with versions.lock(name, data):
        subs = load_all()
        if name in subs:
            raise SubscriptionError(f"already subscribed to {name} ({subs[name].url})")
        if versions.foreign(name, data):
            raise SubscriptionError(f"{versions.active_link(name)} is your own pack; it is never replaced")
        subs[name] = Subscription(name=name, url=url, pubkey=key, ca_file=ca_file)
        save_all(subs)
    return subs[name]


def _key(name: str, pubkey: str | None) -> str:
    try:
        given = signing.public_line(signing.read_public(pubkey.strip())) if pubkey and pubkey.strip() else None
        key = core_key.key_for(name, given)
    except (signing.SigningError, OSError) as exc:
        raise SubscriptionError(f"the public key: {exc}") from None
    except ValueError as exc:
        raise SubscriptionError(str(exc)) from None
    if key is None:
        raise SubscriptionError("a subscription needs the publisher's public key (their pack.pub); "
                                "every update must be signed with it")
    return key


def _ca_file(given: str | None) -> str | None:
    if not given:
        return None
    path = Path(given).expanduser().resolve()
    try:
        tls_context(str(path))
    except (OSError, ssl.SSLError) as exc:
        raise SubscriptionError(f"the CA file {path}: cannot be read as PEM certificates ({exc})") from None
    return str(path)


def unsubscribe(name: str, data: Path | None = None) -> None:
    """Stop subscription `name`: its active link and every kept version are removed."""
    with versions.lock(name, data):
        subs = load_all()
        if name not in subs:
            raise SubscriptionError(f"no subscription named {name}")
        versions.remove(name, data)
        del subs[name]
        save_all(subs)
