"""The public key of feedlens's own rule pack, `feedlens-core` (docs/rule-packs.md).

The bundled `rules/` is that pack, trusted as installed. Newer versions published between
releases are signed with the maintainers' private key (kept outside the repository); a
subscription to `feedlens-core` checks them against this key, and no other key is accepted
for that name, so nobody can pass off a pack of their own as feedlens's.
"""

CORE_PACK = "feedlens-core"
CORE_PUBKEY = "ed25519:1U7ZuKOWKUSoIa/6O0J7VgjlxRo5xiYynrfbHWS5Znw="


def key_for(name: str, given: str | None) -> str | None:
    """The key a subscription to `name` must use: the given one, or for feedlens-core the
    shipped one. None: no key given for another pack. ValueError: another key for feedlens-core."""
    if name != CORE_PACK:
        return given or None
    if given and given.strip() != CORE_PUBKEY:
        raise ValueError(f"{CORE_PACK} is signed with the key that ships with feedlens "
                         f"({CORE_PUBKEY}); another key is refused")
    return CORE_PUBKEY
