"""Writes to the people registry (实有人口): residents and tags.

Every personal field is checked, encrypted and hashed here. Houses, households and
organisations live in ``place_services`` and are re-exported here, so callers import every
write from this module.

``user=`` is the person acting. With a user, each write checks that they may manage people
(``can_manage_people``) and that every grid the row lands in is inside their scope; without
one (``user=None``) the call runs in the unrestricted set-up context (demo data, tests, the
command line without ``--as``).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yemai.core.audit import audit_record
from yemai.core.crypto import lookup_hash, lookup_hashes
from yemai.core.security.lookups import register_lookup
from yemai.core.validators import normalize_mobile, parse_id_number
from yemai.grids.models import GridNode

from .access import (
    KEEP,
    audit_user,
    grid_by_code,
    grid_check,
    grid_in_scope,
    require_manage,
    visible_or_error,
)
from .choices import Registration
from .models import House, Household, Resident, Tag
from .place_services import (
    house_create,
    house_delete,
    house_update,
    household_create,
    household_delete,
    household_update,
    organisation_create,
    organisation_delete,
    organisation_update,
)

# Checked by the services themselves (hashes computed, links looked up in the user's scope),
# so full_clean need not query them again.
_CHECKED_HERE = ["id_number_hash", "phone_hash", "grid", "household", "house"]

ID_PURPOSE = "people.resident.id_number"
PHONE_PURPOSE = "people.resident.phone"

# A passport or permit number (境外人员证件号码): letters, digits and dashes.
_DOCUMENT = re.compile(r"^[A-Z0-9][A-Z0-9\-]{3,29}$")


def _id_normal(number: str) -> str:
    return number.strip().upper()


def id_number_hash(number: str) -> str:
    """The hash a write stores (under the first lookup key)."""
    return lookup_hash(_id_normal(number), purpose=ID_PURPOSE)


def id_number_hashes(number: str) -> list[str]:
    """The hashes a search looks for (under every lookup key, while one is rotated)."""
    return lookup_hashes(_id_normal(number), purpose=ID_PURPOSE)


def phone_hash(phone: str) -> str:
    return lookup_hash(phone, purpose=PHONE_PURPOSE)


def phone_hashes(phone: str) -> list[str]:
    return lookup_hashes(phone, purpose=PHONE_PURPOSE)


register_lookup(
    model="people.Resident",
    hash_field="id_number_hash",
    source_field="id_number",
    purpose=ID_PURPOSE,
    prepare=_id_normal,
)
register_lookup(
    model="people.Resident", hash_field="phone_hash", source_field="phone", purpose=PHONE_PURPOSE
)


# --- tags -----------------------------------------------------------------------------------


def tag_get_many(*, names: list[str]) -> list[Tag]:
    """The named tags; unknown names are an error (tags are a fixed, reviewed list)."""
    wanted = [n.strip() for n in names if n and n.strip()]
    found = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise ValidationError({"tags": [_("Unknown tag: %(tags)s") % {"tags": "、".join(unknown)}]})
    return list(dict.fromkeys(found[n] for n in wanted))


def tags_for_user(user, names: list[str]) -> list[Tag]:
    """Tags the user may put on a person: a restricted tag only if the user was granted it
    (otherwise the person would vanish from the very user who tagged them)."""
    tags = tag_get_many(names=names)
    if user is None or getattr(user, "is_unrestricted", False):
        return tags
    granted = set(getattr(user, "granted_tags", None) or [])
    refused = [t.name for t in tags if t.restricted and t.name not in granted]
    if refused:
        raise ValidationError(
            {
                "tags": [
                    _("You may not assign the restricted tag %(tags)s")
                    % {"tags": "、".join(refused)}
                ]
            }
        )
    return tags


# --- residents ------------------------------------------------------------------------------


def _resident_apply(
    resident: Resident,
    *,
    name: str,
    id_number: str,
    phone: str,
    registration: str,
    birth_date: dt.date | None = None,
    sex: str = "",
) -> None:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("Name is required"))
    if registration not in Registration.values:
        errors.setdefault("registration", []).append(
            _("Registration must be one of %(values)s") % {"values": ", ".join(Registration.values)}
        )
    number = ""
    if registration == Registration.FOREIGN:
        # Foreign residents carry a passport or permit number, not a GB 11643 ID number.
        number = re.sub(r"\s", "", str(id_number or "")).upper()
        if not number:
            errors.setdefault("id_number", []).append(_("Document number is required"))
        elif not _DOCUMENT.match(number):
            errors.setdefault("id_number", []).append(
                _("Document number must be 4 to 30 letters, digits or dashes")
            )
        resident.birth_date = birth_date or resident.birth_date
        resident.sex = sex or resident.sex
    else:
        try:
            info = parse_id_number(str(id_number or ""))
            number = info.number
            resident.birth_date = info.birth_date
            resident.sex = info.sex
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
    if phone:
        try:
            phone = normalize_mobile(str(phone))
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    resident.name = name
    resident.id_number = number
    resident.id_number_hash = id_number_hash(number)
    resident.phone = phone or ""
    resident.phone_hash = phone_hash(phone) if phone else ""
    resident.registration = registration


def _resident_check_duplicate(resident: Resident) -> None:
    # Checked across the whole registry, not the user's scope: one person, one row.
    others = Resident.objects.filter(id_number_hash__in=id_number_hashes(resident.id_number))
    if resident.pk:
        others = others.exclude(pk=resident.pk)
    if others.exists():
        raise ValidationError({"id_number": [_("A resident with this ID number already exists")]})


@transaction.atomic
def resident_create(
    *,
    grid: GridNode,
    name: str,
    id_number: str,
    phone: str = "",
    registration: str = Registration.HOUSEHOLD,
    household: Household | None = None,
    house: House | None = None,
    tags: list[str] | None = None,
    birth_date: dt.date | None = None,
    sex: str = "",
    user=None,
) -> Resident:
    """Register a person; the ID number gives birth date and sex (境外: a document number)."""
    require_manage(user)
    grid_check(user, grid)
    visible_or_error(user, Household.objects, household, field="household")
    visible_or_error(user, House.objects, house, field="house")
    tag_rows = tags_for_user(user, tags) if tags else []
    resident = Resident(grid=grid, household=household, house=house)
    _resident_apply(
        resident,
        name=name,
        id_number=id_number,
        phone=phone,
        registration=registration,
        birth_date=birth_date,
        sex=sex,
    )
    _resident_check_duplicate(resident)
    resident.full_clean(exclude=_CHECKED_HERE)
    resident.save()
    if tag_rows:
        resident.tags.set(tag_rows)
    return resident


def _check_visible(user, resident: Resident) -> None:
    if user is None or getattr(user, "is_unrestricted", False):
        return
    if not Resident.objects.restrict(user).filter(pk=resident.pk).exists():
        raise PermissionDenied(_("This resident is outside your scope"))


@transaction.atomic
def resident_update(
    *,
    resident: Resident,
    user=None,
    grid=KEEP,
    name=KEEP,
    id_number=KEEP,
    phone=KEEP,
    registration=KEEP,
    household=KEEP,
    house=KEEP,
    tags=KEEP,
    birth_date=KEEP,
    sex=KEEP,
) -> Resident:
    """Change the given fields only; moving a person needs both grids in the user's scope."""
    require_manage(user)
    _check_visible(user, resident)
    if grid is not KEEP and getattr(grid, "pk", None) != resident.grid_id:
        resident.grid = grid_check(user, grid)
    if household is not KEEP:
        resident.household = visible_or_error(user, Household.objects, household, field="household")
    if house is not KEEP:
        resident.house = visible_or_error(user, House.objects, house, field="house")
    tag_rows = tags_for_user(user, tags or []) if tags is not KEEP else None

    def pick(value, old):
        return old if value is KEEP else value

    _resident_apply(
        resident,
        name=pick(name, resident.name),
        id_number=pick(id_number, resident.id_number),
        phone=pick(phone, resident.phone),
        registration=pick(registration, resident.registration),
        birth_date=pick(birth_date, None),
        sex=pick(sex, ""),
    )
    _resident_check_duplicate(resident)
    resident.full_clean(exclude=_CHECKED_HERE)
    resident.save()
    if tag_rows is not None:
        resident.tags.set(tag_rows)
    return resident


@transaction.atomic
def resident_set_tags(*, resident: Resident, names: list[str], user=None) -> Resident:
    """Replace a person's tags (care and restricted) with ``names``."""
    require_manage(user)
    _check_visible(user, resident)
    resident.tags.set(tags_for_user(user, names))
    return resident


@transaction.atomic
def resident_delete(*, resident: Resident, user=None) -> None:
    """Remove a person from the registry; the deletion is audited (name and masked number)."""
    require_manage(user)
    _check_visible(user, resident)
    audit_record(
        user=audit_user(user),
        kind="delete",
        obj=resident,
        detail={"name": resident.name, "id_number": resident.id_number_masked},
    )
    resident.delete()


# --- whole views (reveal) -------------------------------------------------------------------


def _reveal_check(user) -> None:
    if not getattr(user, "can_reveal_pii", False):
        raise PermissionDenied(_("Your role may not see whole personal data"))


def resident_reveal(*, resident: Resident, user) -> dict:
    """The whole ID number, phone and house address of one person, for a user who may see
    them; the view itself is audited (which fields, by whom, from where)."""
    _reveal_check(user)
    address = resident.house.address if resident.house_id else ""
    audit_record(
        user=audit_user(user),
        kind="view_pii",
        obj=resident,
        detail={"fields": ["id_number", "phone", "address"]},
    )
    return {
        "id": resident.pk,
        "name": resident.name,
        "id_number": resident.id_number,
        "phone": resident.phone,
        "address": address,
    }


def house_reveal(*, house: House, user) -> dict:
    _reveal_check(user)
    audit_record(user=audit_user(user), kind="view_pii", obj=house, detail={"fields": ["address"]})
    return {"id": house.pk, "code": house.code, "address": house.address}


def organisation_reveal(*, organisation, user) -> dict:
    _reveal_check(user)
    audit_record(
        user=audit_user(user),
        kind="view_pii",
        obj=organisation,
        detail={"fields": ["contact_phone"]},
    )
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "contact_phone": organisation.contact_phone,
    }


# Every write is importable from here, places included.
__all__ = [
    "KEEP",
    "grid_in_scope",
    "require_manage",
    "visible_or_error",
    "grid_by_code",
    "grid_check",
    "house_create",
    "house_delete",
    "house_update",
    "household_create",
    "household_delete",
    "household_update",
    "id_number_hash",
    "organisation_create",
    "organisation_delete",
    "organisation_update",
    "phone_hash",
    "resident_create",
    "resident_delete",
    "resident_reveal",
    "house_reveal",
    "organisation_reveal",
    "resident_set_tags",
    "resident_update",
    "tag_get_many",
]
