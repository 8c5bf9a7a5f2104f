"""National ID numbers (GB 11643-1999) and the keyed pseudonyms that replace them outside the event store.

An 18-character ID has little entropy (region + birth date + sequence), so a plain hash is reversible by
brute force; only a keyed HMAC is an acceptable pseudonym (PIPL art. 51, de-identification).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

from domain.errors import InvalidIdNumber  # noqa: F401 - re-exported: the identity module names its own error

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_id_number(id_number: str) -> str:
    """Return the normalised ID number or raise InvalidIdNumber (shape, birth date, check digit)."""
    normalised = id_number.strip().upper()
    if not _ID_SHAPE.match(normalised):
        raise InvalidIdNumber("not 17 digits followed by a digit or X")
    try:
        date(int(normalised[6:10]), int(normalised[10:12]), int(normalised[12:14]))
    except ValueError:
        raise InvalidIdNumber("birth date part is not a calendar date") from None
    if check_digit(normalised[:17]) != normalised[17]:
        raise InvalidIdNumber("check digit does not match")
    return normalised


def make_id_number(region: str, birth: date, sequence: int) -> str:
    """Build a valid ID number (used by the simulator; region is a 6-digit code)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_digit(first17)


class Pseudonymizer:
    """Keyed HMAC-SHA256 pseudonyms, stable for one key, truncated to 128 bits (32 hex chars)."""

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("pseudonym key must be at least 16 bytes")
        self._key = key
        # one message asks for the same pseudonym several times; keep only the most recent few thousand
        self._recent = lru_cache(maxsize=4096)(self._hmac)

    def _hmac(self, id_number: str) -> str:
        return hmac.new(self._key, id_number.encode(), hashlib.sha256).hexdigest()[:32]

    def __call__(self, id_number: str) -> str:
        return self._recent(id_number)
