"""Writes to the people registry. Every personal field is checked, encrypted and hashed here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yemai.core.crypto import lookup_hash
from yemai.core.validators import normalize_mobile, parse_id_number

from .choices import Registration
from .models import House, Household, Resident, Tag

ID_PURPOSE = "people.resident.id_number"
PHONE_PURPOSE = "people.resident.phone"


def id_number_hash(number: str) -> str:
    return lookup_hash(number.strip().upper(), purpose=ID_PURPOSE)


def phone_hash(phone: str) -> str:
    return lookup_hash(phone, purpose=PHONE_PURPOSE)


def _resident_apply(
    resident: Resident, *, name: str, id_number: str, phone: str, registration: str
) -> None:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("Name is required"))
    if registration == Registration.FOREIGN:
        # Foreign residents carry a passport or permit number, not a GB 11643 ID number.
        number = (id_number or "").strip().upper()
        if not number:
            errors.setdefault("id_number", []).append(_("Document number is required"))
        resident.birth_date = resident.birth_date or None
    else:
        try:
            info = parse_id_number(id_number)
            number = info.number
            resident.birth_date = info.birth_date
            resident.sex = info.sex
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
            number = ""
    if phone:
        try:
            phone = normalize_mobile(phone)
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


@transaction.atomic
def resident_create(
    *,
    grid,
    name: str,
    id_number: str,
    phone: str = "",
    registration: str = Registration.HOUSEHOLD,
    household: Household | None = None,
    house: House | None = None,
    tags: list[str] | None = None,
) -> Resident:
    resident = Resident(grid=grid, household=household, house=house)
    _resident_apply(
        resident, name=name, id_number=id_number, phone=phone, registration=registration
    )
    if Resident.objects.filter(id_number_hash=resident.id_number_hash).exists():
        raise ValidationError({"id_number": [_("A resident with this ID number already exists")]})
    resident.full_clean(exclude=["id_number_hash", "phone_hash"])
    resident.save()
    if tags:
        resident.tags.set(tag_get_many(names=tags))
    return resident


def tag_get_many(*, names: list[str]) -> list[Tag]:
    """The named tags; unknown names are an error (tags are a fixed, reviewed list)."""
    wanted = [n.strip() for n in names if n and n.strip()]
    found = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise ValidationError({"tags": [_("Unknown tag: %(tags)s") % {"tags": "、".join(unknown)}]})
    return [found[n] for n in wanted]
