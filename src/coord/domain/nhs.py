"""NHS numbers: the Modulus 11 check, and the key under which a number is indexed.

Nothing here ever puts an NHS number into a message.
"""

from __future__ import annotations

import hashlib

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def is_valid_nhs_number(nhs_number: str) -> bool:
    """True when the value is 10 ASCII digits whose tenth is the Modulus 11 check digit."""
    if len(nhs_number) != 10 or not all("0" <= c <= "9" for c in nhs_number):
        return False
    total = sum(int(c) * w for c, w in zip(nhs_number[:9], _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(nhs_number[9])


def nhs_problem(nhs_number: str) -> str | None:
    """Why the value is not an NHS number (never quoting it), or None when it is one."""
    if len(nhs_number) != 10 or not all("0" <= c <= "9" for c in nhs_number):
        return "the NHS number must be 10 digits without spaces or separators"
    if not is_valid_nhs_number(nhs_number):
        return (
            "the NHS number's check digit does not match (Modulus 11); check it against the record"
        )
    return None


def nhs_key(nhs_number: str) -> str:
    """The reference key of a registered NHS number: ``nhs:`` + SHA-256 hex of its digits."""
    return "nhs:" + hashlib.sha256(nhs_number.encode("ascii", "replace")).hexdigest()
