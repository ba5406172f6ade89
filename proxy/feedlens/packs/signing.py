"""Ed25519 keys and signatures of packs (the `cryptography` package).

The signature covers the exact bytes of pack.yaml, which lists the SHA-256 of every other file,
so one signature vouches for the whole pack. Formats:
- private key: PEM (PKCS#8, unencrypted), a file only its owner can read;
- public key: one line, `ed25519:` and the 32 raw key bytes in base64;
- pack.sig: one line, `ed25519:` and the 64 signature bytes in base64.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "ed25519:"


class SigningError(ValueError):
    """A key or signature that cannot be read; the message says which and why."""


def generate() -> tuple[bytes, str]:
    """(private key PEM, public key line)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, public_line(key.public_key())


def public_line(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode("ascii")


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 private key")
    return key


def parse_public(text: str) -> Ed25519PublicKey:
    """A public key line (`ed25519:BASE64`)."""
    raw = _decode(text, 32, "public key")
    return Ed25519PublicKey.from_public_bytes(raw)


def read_public(given: str) -> Ed25519PublicKey:
    """A public key given as a file holding the line, or as the line itself."""
    path = Path(given)
    text = path.read_text(encoding="utf-8") if not given.startswith(PREFIX) and path.is_file() else given
    return parse_public(text)


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    """The signature line of `data`."""
    return PREFIX + base64.b64encode(key.sign(data)).decode("ascii")


def check(public: Ed25519PublicKey, data: bytes, signature: str) -> str | None:
    """None when `signature` is `public`'s signature of `data`, else why not."""
    try:
        raw = _decode(signature, 64, "signature")
    except SigningError as exc:
        return str(exc)
    try:
        public.verify(raw, data)
    except InvalidSignature:
        return "the signature does not match this public key and this pack.yaml"
    return None


def _decode(text: str, size: int, what: str) -> bytes:
    text = text.strip()
    if not text.startswith(PREFIX):
        raise SigningError(f"{what}: does not start with {PREFIX!r}")
    try:
        raw = base64.b64decode(text[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise SigningError(f"{what}: not base64") from None
    if len(raw) != size:
        raise SigningError(f"{what}: {len(raw)} bytes, an Ed25519 {what} has {size}")
    return raw
