"""Subscriptions to published packs: where each is fetched from, the key that must have signed
it, and what the last check found. Kept in one JSON file in the user config dir
($XDG_CONFIG_HOME/feedlens/subscriptions.json), readable by its owner only (mode 0600).

Times are ISO 8601 strings in UTC. Nothing here touches the network or the packs on disk.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from .header import NAME_PATTERN

FILE_NAME = "subscriptions.json"


class SubscriptionError(ValueError):
    """The subscriptions file or a subscription that cannot be used; the message says why."""


@dataclass
class Subscription:
    name: str
    url: str  # where the pack's .tar.gz is served; tried first
    pubkey: str  # the `ed25519:…` line every update must be signed with
    mirrors: list[str] = field(default_factory=list)  # from the active pack's update_urls
    validators: dict[str, dict[str, str]] = field(default_factory=dict)  # url -> etag, last_modified
    last_check: str | None = None
    last_ok: str | None = None  # the last check that ended with the newest pack in force
    last_result: str | None = None  # updated | not modified | up to date | refused | failed
    error: str | None = None  # why the last check failed (None after a good one)
    failures: int = 0  # failed checks in a row
    next_try: str | None = None  # after a failure: not before this time (backoff)
    released: str | None = None  # the active pack's header: released date
    expires_days: int | None = None  # and its `expires`
    version: str | None = None  # the active version
    rolled_back: list[str] = field(default_factory=list)  # versions never activated again by update
    ca_file: str | None = None  # trust only these CAs for its HTTPS (a private CA); else the system's

    @classmethod
    def of(cls, data: dict) -> Subscription:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def urls(self) -> list[str]:
        """The URL, then the mirrors, each once."""
        return list(dict.fromkeys([self.url, *self.mirrors]))


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "feedlens"


def subscriptions_file() -> Path:
    return config_dir() / FILE_NAME


def load_all(path: Path | None = None) -> dict[str, Subscription]:
    """Every subscription by name (none when there is no file yet)."""
    path = path or subscriptions_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubscriptionError(f"{path}: cannot read the subscriptions ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("subscriptions"), list):
        raise SubscriptionError(f"{path}: not a subscriptions file (no `subscriptions` list)")
    try:
        subs = [Subscription.of(item) for item in data["subscriptions"]]
    except TypeError as exc:
        raise SubscriptionError(f"{path}: a subscription is incomplete ({exc})") from None
    return {sub.name: sub for sub in subs}


def save_all(subs: dict[str, Subscription], path: Path | None = None) -> Path:
    """Write every subscription (mode 0600), replacing the file in one step."""
    path = path or subscriptions_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"subscriptions": [asdict(subs[n]) for n in sorted(subs)]}, indent=2, ensure_ascii=False)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.new")
    with os.fdopen(os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as out:
        out.write(text + "\n")
    os.chmod(scratch, 0o600)
    os.replace(scratch, path)
    return path


def save_one(sub: Subscription, path: Path | None = None) -> None:
    """Write `sub` back, keeping every other subscription as it is on disk now."""
    subs = load_all(path)
    subs[sub.name] = sub
    save_all(subs, path)


def url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{url!r} is not an http(s) URL"
    return None


def name_from_url(url: str) -> str:
    """`https://example.org/packs/my-rules.tar.gz` -> `my-rules`."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".tar.gz", ".tgz"):
        last = last.removesuffix(suffix)
    return last


def name_problem(name: str) -> str | None:
    if not re.match(NAME_PATTERN, name or ""):
        return f"{name!r} is not a pack name (2-64 characters: a-z, 0-9 and -, not starting with -)"
    return None


def mirror_urls(name: str, update_urls: list[str]) -> list[str]:
    """A pack's update_urls as archive URLs: one ending in `/` names a folder holding NAME.tar.gz."""
    return [u + f"{name}.tar.gz" if u.endswith("/") else u for u in update_urls]


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_stamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
