"""Synthetic identifiers that pass the real checks: ID numbers (GB 11643), mobile numbers,
unified social credit codes (GB 32100 with a GB 11714 organisation code inside), camera codes
(GB/T 28181), grid codes (county + street + village + micro-grid).

None of them belongs to anyone: ID numbers are drawn from birth dates and sequence numbers,
so some may coincide with real people's — which is why demo data never leaves a demo database.
"""

from __future__ import annotations

import datetime as dt
import random

from yemai.core.validators import id_check_char

from .names import MOBILE_PREFIXES

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class IdNumbers:
    """Hands out unique ID numbers: area + birth date + sequence (odd male, even female) + check."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def make(self, area: str, birth: dt.date, sex: str) -> str:
        prefix = f"{area}{birth:%Y%m%d}"
        for _attempt in range(200):
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            body = f"{prefix}{seq:03d}"
            if body not in self.used:
                self.used.add(body)
                return body + id_check_char(body)
        raise RuntimeError(f"no free ID sequence left for {prefix}")  # 500 a day per sex


class Mobiles:
    """Unique mainland mobile numbers: 1[3-9] and 9 more digits, from real carrier prefixes."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def make(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used:
                self.used.add(number)
                return number


def organisation_code(body8: str) -> str:
    """GB 11714 organisation code: 8 characters and a MOD 11 check character."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body8, _ORG_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return body8 + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, area: str, *, individual: bool) -> str:
    """A GB 32100 unified social credit code registered by market regulation (9) in ``area``.

    ``individual``: a sole trader (个体工商户, type 2) rather than a company (type 1).
    """
    org = organisation_code(f"{rng.randrange(10**8):08d}")  # its "X" is a credit-code character
    body = f"9{'2' if individual else '1'}{area}{org}"
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return body + _CREDIT_CHARS[(31 - total % 31) % 31]


def camera_code(county: str, seq: int) -> str:
    """A 20-digit GB/T 28181 device code: centre (county + 2), industry 00 (public security
    roads), type 132 (network camera), network 0, then a 6-digit sequence."""
    return f"{county}01" + "00" + "132" + "0" + f"{seq:06d}"


def phone_landline(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.randrange(10**6, 10**7)}"
