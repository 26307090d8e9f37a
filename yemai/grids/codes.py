"""Grid codes in the national pattern (CJ/T 349, GB/T 30428 practice on GB/T 2260 codes).

Town (镇/街道) = county code of GB/T 2260 (6 digits) + street 3 = 9 digits; village or
community (村/社区) = town code + 3 = 12; micro-grid (微网格) = village code + 3 = 15. A child's
code begins with its parent's.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .choices import Level

CODE_LENGTHS = {Level.TOWN: 9, Level.VILLAGE: 12, Level.MICRO: 15}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}
# GB/T 2260 province prefixes (the first two digits of a county code).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}  # fmt: skip


def level_from_code(code: str) -> str | None:
    """Town, village or micro from the length of a national grid code, or None."""
    return LEVEL_BY_LENGTH.get(len(code)) if code.isdigit() else None


def code_errors(code: str, level: str, parent_code: str | None = None) -> list[str]:
    """Why ``code`` is not a valid code for a ``level`` grid under ``parent_code`` ([] if it is).

    Town (镇/街道) = county code of GB/T 2260 (6 digits) + street 3 = 9 digits; village or
    community (村/社区) = town code + 3; micro-grid (微网格) = village code + 3.
    """
    code = code or ""
    expected = CODE_LENGTHS.get(level)
    if expected is None:
        return [_("Unknown level %(level)s: use town, village or micro") % {"level": level}]
    patterns = {
        Level.TOWN: _(
            "Grid code %(code)s is not a town code: 9 digits, the county code (GB/T 2260, "
            "6 digits) and a street number (3 digits)"
        ),
        Level.VILLAGE: _(
            "Grid code %(code)s is not a village code: 12 digits, the town code (9 digits) "
            "and a village number (3 digits)"
        ),
        Level.MICRO: _(
            "Grid code %(code)s is not a micro-grid code: 15 digits, the village code "
            "(12 digits) and a micro-grid number (3 digits)"
        ),
    }
    if not code.isdigit() or len(code) != expected:
        return [patterns[level] % {"code": code}]
    errors = []
    if code[:2] not in PROVINCES:
        errors.append(
            _("Grid code %(code)s does not begin with a county code of GB/T 2260") % {"code": code}
        )
    if code[-3:] == "000":
        errors.append(_("Grid code %(code)s ends in 000: numbering starts at 001") % {"code": code})
    if parent_code is not None and not code.startswith(parent_code):
        errors.append(
            _("Grid code %(code)s must begin with its parent's code %(parent)s")
            % {"code": code, "parent": parent_code}
        )
    return errors
