"""Screening free text for personal data before it can leave the encrypted event store.

Identity fields are pseudonymised by construction; free text (a sighting's place, a grid worker's note, a reject's
detail) is where a name, an ID number or a phone number gets typed by hand. Free text is masked: ID numbers (18
characters with a valid check digit, and the 15-digit first generation), mobile numbers, and the names the same
message carries. Identifiers (dwelling, household, lease ids) are not masked but refused when they hold an ID
number, since a masked identifier would merge different things.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from domain.errors import InvalidIdNumber
from domain.identity import validate_id_number

ID_MASK, PHONE_MASK, NAME_MASK = "[证件号]", "[手机号]", "[姓名]"
_ID18 = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_ID15 = re.compile(r"(?<![0-9])[0-9]{6}[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9])")


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def is_id_number(text: str) -> bool:
    try:
        validate_id_number(text)
    except InvalidIdNumber:
        return False
    return True


_LONG_NUMBER = re.compile(r"[0-9]{11}")  # the shortest thing masked (a mobile number) has 11 digits


def holds_id_number(text: str) -> bool:
    return _LONG_NUMBER.search(text) is not None and any(is_id_number(m.group(0)) for m in _ID18.finditer(text))


def holds_name(text: str, names: Iterable[str]) -> bool:
    return any(len(name.strip()) >= 2 and name.strip() in text for name in names)


def mask(text: str, names: Iterable[str] = ()) -> str:
    """The text with ID numbers, mobile numbers and the given names replaced by markers."""
    if not text or (_LONG_NUMBER.search(text) is None and not holds_name(text, names)):
        return text  # the common case, decided without the substitutions
    text = _ID18.sub(lambda m: ID_MASK if is_id_number(m.group(0)) else m.group(0), text)
    text = _ID15.sub(lambda m: ID_MASK if _real_date(1900 + int(m.group(0)[6:8]), int(m.group(1)),
                                                     int(m.group(2))) else m.group(0), text)
    text = _MOBILE.sub(PHONE_MASK, text)
    for name in sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, NAME_MASK)
    return text
