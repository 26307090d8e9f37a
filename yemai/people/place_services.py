"""Writes for houses (房屋), households (户) and organisations (商铺, 企业, 网吧).

Import these from ``yemai.people.services``. The micro-grid of a house or an organisation
comes from its coordinates through ``locate(lon, lat)``; a micro-grid code given as well must
agree with it, and is used alone when there are no coordinates (or the point lies outside
every micro-grid). Every grid must be inside the acting user's scope.
"""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yemai.core.audit import audit_record
from yemai.core.validators import check_credit_code, normalize_mobile
from yemai.grids.locator import locate
from yemai.grids.models import GridNode

from .access import KEEP, audit_user, grid_by_code, grid_check, require_manage, visible_or_error
from .choices import HouseUse, OrganisationKind
from .models import House, Household, Organisation, Resident


def _coordinates(lon, lat) -> tuple[float, float] | None:
    if lon in (None, "") and lat in (None, ""):
        return None
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ValidationError(
            {"lon": [_("Give both longitude and latitude as numbers (WGS-84)")]}
        ) from None
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (
        -180 <= lon <= 180 and -90 <= lat <= 90
    ):
        raise ValidationError({"lon": [_("Longitude or latitude is out of range")]})
    return lon, lat


def place_grid(user, *, lon=None, lat=None, grid: GridNode | None = None, grid_code: str = ""):
    """The micro-grid of a place: located from its point, or the one named; in scope."""
    if grid is None and grid_code:
        grid = grid_by_code(user, grid_code)
    point = _coordinates(lon, lat)
    if point is not None:
        hit = locate(*point)
        if hit is not None:
            if grid is not None and grid.pk != hit.grid_id:
                raise ValidationError(
                    {
                        "grid": [
                            _("The point lies in micro-grid %(found)s, not %(given)s")
                            % {"found": hit.code, "given": grid.code}
                        ]
                    }
                )
            grid = GridNode.objects.get(pk=hit.grid_id)
        elif grid is None:
            raise ValidationError(
                {"lon": [_("The point lies outside every micro-grid: give the micro-grid code")]}
            )
    return grid_check(user, grid), point


def _visible(user, obj, model, field):
    return visible_or_error(user, model.objects, obj, field=field)


def _check_own(user, obj) -> None:
    if user is None or getattr(user, "is_unrestricted", False):
        return
    if not type(obj).objects.restrict(user).filter(pk=obj.pk).exists():
        raise ValidationError(_("This record is outside your scope"))


# --- houses ---------------------------------------------------------------------------------


def _house_validate(house: House) -> None:
    errors: dict[str, list[str]] = {}
    house.code = (house.code or "").strip()
    house.address = (house.address or "").strip()
    if not house.code:
        errors["code"] = [_("House code is required")]
    elif House.objects.filter(code=house.code).exclude(pk=house.pk).exists():
        errors["code"] = [_("A house with this code already exists")]
    if not house.address:
        errors["address"] = [_("Address is required")]
    if house.use not in HouseUse.values:
        errors["use"] = [
            _("Use must be one of %(values)s") % {"values": ", ".join(HouseUse.values)}
        ]
    if errors:
        raise ValidationError(errors)
    house.full_clean()


@transaction.atomic
def house_create(
    *,
    code: str,
    address: str,
    lon: float | None = None,
    lat: float | None = None,
    grid: GridNode | None = None,
    grid_code: str = "",
    use: str = HouseUse.OWN,
    landlord: Resident | None = None,
    user=None,
) -> House:
    """Register a house; its address is encrypted at rest and masked on display."""
    require_manage(user)
    grid, point = place_grid(user, lon=lon, lat=lat, grid=grid, grid_code=grid_code)
    house = House(
        grid=grid,
        code=code,
        address=address,
        lon=point[0] if point else None,
        lat=point[1] if point else None,
        use=use,
        landlord=_visible(user, landlord, Resident, "landlord"),
    )
    _house_validate(house)
    house.save()
    return house


@transaction.atomic
def house_update(
    *,
    house: House,
    user=None,
    code=KEEP,
    address=KEEP,
    lon=KEEP,
    lat=KEEP,
    grid=KEEP,
    grid_code=KEEP,
    use=KEEP,
    landlord=KEEP,
) -> House:
    """Change the given fields; new coordinates locate the house again."""
    require_manage(user)
    _check_own(user, house)
    moved = any(v is not KEEP for v in (lon, lat, grid, grid_code))
    if moved:
        new_lon = house.lon if lon is KEEP else lon
        new_lat = house.lat if lat is KEEP else lat
        explicit = None if grid is KEEP else grid
        code_given = "" if grid_code is KEEP else grid_code
        if explicit is None and not code_given and new_lon is None:
            explicit = house.grid
        house.grid, point = place_grid(
            user, lon=new_lon, lat=new_lat, grid=explicit, grid_code=code_given
        )
        house.lon, house.lat = point if point else (None, None)
    if code is not KEEP:
        house.code = code
    if address is not KEEP:
        house.address = address
    if use is not KEEP:
        house.use = use
    if landlord is not KEEP:
        house.landlord = _visible(user, landlord, Resident, "landlord")
    _house_validate(house)
    house.save()
    return house


@transaction.atomic
def house_delete(*, house: House, user=None) -> None:
    require_manage(user)
    _check_own(user, house)
    audit_record(user=audit_user(user), kind="delete", obj=house, detail={"code": house.code})
    house.delete()


# --- households -----------------------------------------------------------------------------


def _household_validate(household: Household) -> None:
    household.number = (household.number or "").strip()
    if not household.number:
        raise ValidationError({"number": [_("Household number is required")]})
    if Household.objects.filter(number=household.number).exclude(pk=household.pk).exists():
        raise ValidationError({"number": [_("A household with this number already exists")]})
    household.full_clean()


@transaction.atomic
def household_create(
    *,
    number: str,
    grid: GridNode | None = None,
    grid_code: str = "",
    house: House | None = None,
    user=None,
) -> Household:
    """Register a household; without a grid it takes its house's micro-grid."""
    require_manage(user)
    house = _visible(user, house, House, "house")
    if grid is None and grid_code:
        grid = grid_by_code(user, grid_code)
    if grid is None and house is not None:
        grid = house.grid
    household = Household(number=number, grid=grid_check(user, grid), house=house)
    _household_validate(household)
    household.save()
    return household


@transaction.atomic
def household_update(
    *, household: Household, user=None, number=KEEP, grid=KEEP, grid_code=KEEP, house=KEEP
) -> Household:
    require_manage(user)
    _check_own(user, household)
    if house is not KEEP:
        household.house = _visible(user, house, House, "house")
    if grid_code is not KEEP and grid_code:
        household.grid = grid_by_code(user, grid_code)
    elif grid is not KEEP:
        household.grid = grid_check(user, grid)
    if number is not KEEP:
        household.number = number
    _household_validate(household)
    household.save()
    return household


@transaction.atomic
def household_delete(*, household: Household, user=None) -> None:
    require_manage(user)
    _check_own(user, household)
    audit_record(
        user=audit_user(user), kind="delete", obj=household, detail={"number": household.number}
    )
    household.delete()


# --- organisations --------------------------------------------------------------------------


def _organisation_validate(org: Organisation) -> None:
    errors: dict[str, list[str]] = {}
    org.name = (org.name or "").strip()
    if not org.name:
        errors["name"] = [_("Name is required")]
    if org.kind not in OrganisationKind.values:
        errors["kind"] = [
            _("Kind must be one of %(values)s") % {"values": ", ".join(OrganisationKind.values)}
        ]
    if org.credit_code:
        try:
            org.credit_code = check_credit_code(org.credit_code)
        except ValidationError as exc:
            errors["credit_code"] = exc.messages
        else:
            same = Organisation.objects.filter(credit_code=org.credit_code).exclude(pk=org.pk)
            if same.exists():
                errors["credit_code"] = [_("An organisation with this credit code already exists")]
    if org.contact_phone:
        try:
            org.contact_phone = normalize_mobile(org.contact_phone)
        except ValidationError as exc:
            errors["contact_phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    org.full_clean()


@transaction.atomic
def organisation_create(
    *,
    name: str,
    kind: str,
    lon: float,
    lat: float,
    credit_code: str = "",
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    grid_code: str = "",
    user=None,
) -> Organisation:
    """Register a shop, enterprise or internet café at its point on the map."""
    require_manage(user)
    if lon in (None, "") or lat in (None, ""):
        raise ValidationError({"lon": [_("An organisation needs its longitude and latitude")]})
    grid, point = place_grid(user, lon=lon, lat=lat, grid_code=grid_code)
    org = Organisation(
        grid=grid,
        name=name,
        kind=kind,
        credit_code=(credit_code or "").strip().upper(),
        address=(address or "").strip(),
        lon=point[0],
        lat=point[1],
        contact_name=(contact_name or "").strip(),
        contact_phone=(contact_phone or "").strip(),
    )
    _organisation_validate(org)
    org.save()
    return org


@transaction.atomic
def organisation_update(*, organisation: Organisation, user=None, **changes) -> Organisation:
    """Change the given fields (name, kind, credit_code, address, contact_name,
    contact_phone, lon, lat, grid_code); new coordinates locate it again."""
    require_manage(user)
    org = organisation
    _check_own(user, org)
    allowed = {"name", "kind", "credit_code", "address", "contact_name", "contact_phone"}
    unknown = set(changes) - allowed - {"lon", "lat", "grid_code"}
    if unknown:
        raise TypeError(f"organisation_update() got unexpected fields {sorted(unknown)}")
    if {"lon", "lat", "grid_code"} & set(changes):
        org.grid, point = place_grid(
            user,
            lon=changes.get("lon", org.lon),
            lat=changes.get("lat", org.lat),
            grid_code=changes.get("grid_code") or "",
        )
        if point is None:
            raise ValidationError({"lon": [_("An organisation needs its longitude and latitude")]})
        org.lon, org.lat = point
    for field in allowed & set(changes):
        value = changes[field]
        setattr(
            org, field, (value or "").strip().upper() if field == "credit_code" else value or ""
        )
    _organisation_validate(org)
    org.save()
    return org


@transaction.atomic
def organisation_delete(*, organisation: Organisation, user=None) -> None:
    require_manage(user)
    _check_own(user, organisation)
    audit_record(
        user=audit_user(user), kind="delete", obj=organisation, detail={"name": organisation.name}
    )
    organisation.delete()
