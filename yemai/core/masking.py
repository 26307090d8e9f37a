"""Masking of personal data for display: what everyone sees unless a role may see more."""

import re

_DIGIT = re.compile(r"\d")


def mask_id_number(value: str | None) -> str:
    """110101199003071234 → 110***********1234 (GB 11643: keep area prefix and last four)."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str | None) -> str:
    """Keep the place names, hide every number: 东门路12号3幢501室 → 东门路**号*幢***室."""
    if not value:
        return ""
    return _DIGIT.sub("*", value)


def mask_name(value: str | None) -> str:
    """张三丰 → 张**; used on public boards."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
