"""Filters for report templates (`{item.id|bv2av}`): turn the id a page shows into the id an
endpoint wants. Each takes a string and returns a string, or raises ValueError."""

from __future__ import annotations

import re

# Bilibili BV ids (public algorithm, bilibili-API-collect docs/misc/bvid_desc.md): the BV id is
# base58 of (2**51 | aid) XOR a constant, with two pairs of characters swapped.
_BV_ALPHABET = "FcwAPNKTMug3GV5Lj7EJnHpWsx4tb8haYeviqBz6rkCy12mUSDQX9RdoZf"
_BV_XOR = 23442827791579
_BV_MASK = (1 << 51) - 1
_BV_RE = re.compile(r"^BV1[" + _BV_ALPHABET + r"]{9}$")
_AV_RE = re.compile(r"^(?:av)?([0-9]+)$", re.IGNORECASE)


def bv2av(value: str) -> str:
    """`BV17x411w7KC` -> `170001`; a numeric id (or `av170001`) passes through as digits."""
    value = str(value).strip()
    plain = _AV_RE.match(value)
    if plain:
        return str(int(plain.group(1)))
    if not _BV_RE.match(value):
        raise ValueError(f"{value!r} is not a Bilibili BV id or av number")
    chars = list(value)
    chars[3], chars[9] = chars[9], chars[3]
    chars[4], chars[7] = chars[7], chars[4]
    number = 0
    for char in chars[3:]:
        number = number * 58 + _BV_ALPHABET.index(char)
    return str((number & _BV_MASK) ^ _BV_XOR)


def av2bv(aid: int | str) -> str:
    """The inverse of bv2av (used by tests and for display)."""
    number = ((1 << 51) | int(aid)) ^ _BV_XOR
    chars = ["B", "V", "1"] + ["0"] * 9
    for index in range(11, 2, -1):
        number, digit = divmod(number, 58)
        chars[index] = _BV_ALPHABET[digit]
    chars[3], chars[9] = chars[9], chars[3]
    chars[4], chars[7] = chars[7], chars[4]
    return "".join(chars)


# Weibo post URLs carry the mblogid (base62, e.g. `z0JH2lOMb`); report forms want the numeric mid.
# Read from the right in groups of 4 characters, each group is one base62 number of 7 digits.
_B62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MBLOGID_RE = re.compile(r"^[0-9A-Za-z]{1,16}$")


def weibo_mid(value: str) -> str:
    """`z0JH2lOMb` -> `3501756485200075`; a numeric mid passes through."""
    value = str(value).strip()
    if value.isdigit() and len(value) > 9:
        return value
    if not _MBLOGID_RE.match(value):
        raise ValueError(f"{value!r} is not a Weibo mblogid or mid")
    groups = []
    end = len(value)
    while end > 0:
        start = max(0, end - 4)
        number = 0
        for char in value[start:end]:
            number = number * 62 + _B62.index(char)
        groups.append(number)
        end = start
    groups.reverse()
    return str(groups[0]) + "".join(f"{g:07d}" for g in groups[1:])


FILTERS = {"bv2av": bv2av, "weibo_mid": weibo_mid}
