"""Checks of Chinese identifiers: ID numbers (GB 11643), mobile numbers, credit codes (GB 32100)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    area_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def parse_id_number(value: str) -> IdNumberInfo:
    """Normalise and check an 18-character resident ID number; raise ValidationError if bad."""
    number = (value or "").strip().upper().replace(" ", "")
    if not _ID_PATTERN.match(number):
        raise ValidationError(
            _("ID number must be 17 digits followed by a digit or X, got %(value)s characters")
            % {"value": len(number)},
            code="id_format",
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("ID number holds an impossible birth date"), code="id_birth"
        ) from None
    if birth.year < 1880 or birth > dt.date.today():
        raise ValidationError(_("ID number holds an impossible birth date"), code="id_birth")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("ID number fails its check character (GB 11643)"), code="id_checksum"
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberInfo(number=number, area_code=number[:6], birth_date=birth, sex=sex)


def normalize_mobile(value: str) -> str:
    """Return an 11-digit mainland mobile number, dropping a leading +86/0086 and separators."""
    raw = re.sub(r"[\s\-()]", "", value or "")
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("0086"):
        raw = raw[4:]
    if not _MOBILE.match(raw):
        raise ValidationError(
            _("Phone must be a mainland mobile number: 1[3-9] and 9 more digits"),
            code="phone_format",
        )
    return raw


def check_credit_code(value: str) -> str:
    """Unified social credit code (统一社会信用代码, GB 32100): 18 characters with a check."""
    code = (value or "").strip().upper()
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        raise ValidationError(_("Credit code must be 18 characters of GB 32100"), code="credit")
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(code[:17], _CREDIT_WEIGHTS, strict=True))
    check = _CREDIT_CHARS[(31 - total % 31) % 31]
    if check != code[17]:
        raise ValidationError(_("Credit code fails its check character (GB 32100)"), code="credit")
    return code
