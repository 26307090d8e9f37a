"""What one row of each ledger means: its columns, its key, and how it is written.

A ``Rows`` class per kind names its columns (the Chinese header first, then the aliases
accepted), the fields that may key an update, and ``apply(values)`` which creates or updates
one record through the services (so every rule of a single write holds for an import too).
``apply`` raises ValidationError keyed by field; the engine turns the field into the column.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yemai.core.validators import normalize_mobile

from . import services
from .access import KEEP, grid_by_code
from .choices import HouseUse, OrganisationKind, Registration
from .models import House, Household, Organisation, Resident

REGISTRATIONS = {
    "户籍": Registration.HOUSEHOLD,
    "户籍人口": Registration.HOUSEHOLD,
    "常住": Registration.HOUSEHOLD,
    "流动": Registration.MIGRANT,
    "流动人口": Registration.MIGRANT,
    "境外": Registration.FOREIGN,
    "境外人员": Registration.FOREIGN,
    **{v: v for v in Registration.values},
}
HOUSE_USES = {
    "自住": HouseUse.OWN,
    "自用": HouseUse.OWN,
    "出租": HouseUse.RENTED,
    "空置": HouseUse.VACANT,
    "闲置": HouseUse.VACANT,
    **{v: v for v in HouseUse.values},
}
ORGANISATION_KINDS = {
    "商铺": OrganisationKind.SHOP,
    "店铺": OrganisationKind.SHOP,
    "个体工商户": OrganisationKind.SHOP,
    "企业": OrganisationKind.ENTERPRISE,
    "公司": OrganisationKind.ENTERPRISE,
    "网吧": OrganisationKind.INTERNET_CAFE,
    "其他": OrganisationKind.OTHER,
    **{v: v for v in OrganisationKind.values},
}
GRID_HEADERS = (
    "所属微网格",
    "所属微网格(code)",
    "所属微网格编码",
    "微网格",
    "微网格编码",
    "grid",
    "grid_code",
)
LON_HEADERS = ("经度", "lon", "longitude")
LAT_HEADERS = ("纬度", "lat", "latitude")


def split_tags(text: str) -> list[str]:
    return [t for t in re.split(r"[、,，;；\s]+", text or "") if t]


def choice(mapping: dict, value: str, field: str) -> str:
    try:
        return mapping[value.strip().lower() if value.isascii() else value.strip()]
    except KeyError:
        allowed = "/".join(k for k in mapping if not k.isascii())
        raise ValidationError(
            {
                field: [
                    _("Unknown value %(value)s: use %(allowed)s")
                    % {"value": value, "allowed": allowed}
                ]
            }
        ) from None


def _changes(values: dict, fields: tuple[str, ...]) -> dict:
    """Non-empty cells only: on update an empty cell keeps the stored value."""
    return {f: values[f] for f in fields if values.get(f) not in (None, "")}


class Rows:
    kind = ""
    label = ""
    columns: dict[str, tuple[str, ...]] = {}
    keys: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # cells a new record needs
    masked: tuple[str, ...] = ()  # personal data a masked export holds only as 110***1234

    def __init__(self, *, user, key: str):
        self.user = user
        self.key = key
        self._grids: dict[str, object] = {}

    def grid(self, code: str):
        if code not in self._grids:
            self._grids[code] = grid_by_code(self.user, code)
        return self._grids[code]

    def require(self, values: dict) -> None:
        missing = {f: [_("Required for a new record")] for f in self.required if not values.get(f)}
        if missing:
            raise ValidationError(missing)

    def sees(self, model, obj) -> bool:
        if getattr(self.user, "is_unrestricted", False):
            return True
        return model.objects.restrict(self.user).filter(pk=obj.pk).exists()

    def key_value(self, values: dict) -> str:
        return str(values.get(self.key) or "").strip().upper()


class ResidentRows(Rows):
    kind = "residents"
    label = gettext_lazy("residents")
    columns = {
        "name": ("姓名", "name"),
        "id_number": ("公民身份号码", "身份证号", "身份证号码", "证件号码", "id_number", "id"),
        "phone": ("联系电话", "电话", "手机", "手机号码", "phone", "mobile"),
        "grid": GRID_HEADERS,
        "registration": ("户籍类型", "人口类型", "registration"),
        "household": ("户号", "household", "household_number"),
        "house": ("房屋编号", "house", "house_code"),
        "tags": ("标签", "tags"),
    }
    keys = ("id_number", "phone")
    required = ("name", "id_number", "grid")
    masked = ("id_number", "phone")

    def find(self, values: dict) -> Resident | None:
        if self.key == "phone":
            if not values.get("phone"):
                return None
            try:
                digests = services.phone_hashes(normalize_mobile(values["phone"]))
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from None
            rows = list(Resident.objects.restrict(self.user).filter(phone_hash__in=digests)[:2])
            if len(rows) > 1:
                raise ValidationError({"phone": [_("Several residents have this phone")]})
            return rows[0] if rows else None
        number = values.get("id_number", "")
        digests = services.id_number_hashes(number)
        found = (
            Resident.objects.select_related("grid")
            .filter(id_number_hash__in=digests)
            .order_by("pk")
            .first()
        )
        if found and not self.sees(Resident, found):
            raise ValidationError(
                {"id_number": [_("A resident with this ID number already exists")]}
            )
        return found

    def _links(self, values: dict, grid) -> dict:
        links = {}
        if values.get("house"):
            house = House.objects.restrict(self.user).filter(code=values["house"]).first()
            if house is None:
                raise ValidationError({"house": [_("No house with this code in your scope")]})
            links["house"] = house
        if values.get("household"):
            hh = Household.objects.restrict(self.user).filter(number=values["household"]).first()
            if hh is None:
                hh = services.household_create(
                    number=values["household"], grid=grid, house=links.get("house"), user=self.user
                )
            links["household"] = hh
        return links

    def apply(self, values: dict) -> str:
        if values.get("registration"):
            values["registration"] = choice(REGISTRATIONS, values["registration"], "registration")
        tags = split_tags(values.get("tags", ""))
        existing = self.find(values)
        grid = self.grid(values["grid"]) if values.get("grid") else None
        if existing is None:
            self.require(values)
            services.resident_create(
                grid=grid,
                name=values["name"],
                id_number=values["id_number"],
                phone=values.get("phone", ""),
                registration=values.get("registration") or Registration.HOUSEHOLD,
                tags=tags,
                user=self.user,
                **self._links(values, grid),
            )
            return "created"
        changes = _changes(values, ("name", "id_number", "phone", "registration"))
        if grid is not None:
            changes["grid"] = grid
        services.resident_update(
            resident=existing,
            user=self.user,
            tags=tags if tags else KEEP,
            **changes,
            **self._links(values, grid or existing.grid),
        )
        return "updated"


class HouseRows(Rows):
    kind = "houses"
    label = gettext_lazy("houses")
    columns = {
        "code": ("房屋编号", "编号", "code", "house_code"),
        "address": ("地址", "房屋地址", "详细地址", "address"),
        "lon": LON_HEADERS,
        "lat": LAT_HEADERS,
        "grid": GRID_HEADERS,
        "use": ("使用情况", "房屋用途", "用途", "use"),
        "landlord": ("房东公民身份号码", "房东身份证号", "出租人身份证号", "landlord_id_number"),
    }
    keys = ("code",)
    required = ("code", "address")
    masked = ("address", "landlord")

    def apply(self, values: dict) -> str:
        if values.get("use"):
            values["use"] = choice(HOUSE_USES, values["use"], "use")
        landlord = KEEP
        if values.get("landlord"):
            digests = services.id_number_hashes(values["landlord"])
            landlord = (
                Resident.objects.restrict(self.user).filter(id_number_hash__in=digests).first()
            )
            if landlord is None:
                raise ValidationError(
                    {"landlord": [_("No resident with this ID number in your scope")]}
                )
        code = values.get("code", "")
        existing = House.objects.filter(code=code).first() if code else None
        if existing and not self.sees(House, existing):
            raise ValidationError({"code": [_("A house with this code already exists")]})
        point = {"lon": values.get("lon") or None, "lat": values.get("lat") or None}
        if existing is None:
            self.require(values)
            services.house_create(
                code=code,
                address=values["address"],
                grid_code=values.get("grid", ""),
                use=values.get("use") or HouseUse.OWN,
                landlord=None if landlord is KEEP else landlord,
                user=self.user,
                **point,
            )
            return "created"
        changes = _changes(values, ("address", "use", "lon", "lat"))
        if values.get("grid"):
            changes["grid_code"] = values["grid"]
        services.house_update(house=existing, user=self.user, landlord=landlord, **changes)
        return "updated"


class HouseholdRows(Rows):
    kind = "households"
    label = gettext_lazy("households")
    columns = {
        "number": ("户号", "number", "household_number"),
        "grid": GRID_HEADERS,
        "house": ("房屋编号", "house", "house_code"),
    }
    keys = ("number",)
    required = ("number",)

    def apply(self, values: dict) -> str:
        house = None
        if values.get("house"):
            house = House.objects.restrict(self.user).filter(code=values["house"]).first()
            if house is None:
                raise ValidationError({"house": [_("No house with this code in your scope")]})
        number = values.get("number", "")
        existing = Household.objects.filter(number=number).first() if number else None
        if existing and not self.sees(Household, existing):
            raise ValidationError({"number": [_("A household with this number already exists")]})
        if existing is None:
            self.require(values)
            if not values.get("grid") and house is None:
                raise ValidationError({"grid": [_("Give the micro-grid or the house")]})
            services.household_create(
                number=number, grid_code=values.get("grid", ""), house=house, user=self.user
            )
            return "created"
        changes = {"house": house} if house is not None else {}
        if values.get("grid"):
            changes["grid_code"] = values["grid"]
        services.household_update(household=existing, user=self.user, **changes)
        return "updated"


class OrganisationRows(Rows):
    kind = "organisations"
    label = gettext_lazy("organisations")
    columns = {
        "name": ("名称", "单位名称", "店名", "name"),
        "kind": ("类型", "单位类型", "kind"),
        "credit_code": ("统一社会信用代码", "信用代码", "credit_code"),
        "address": ("地址", "经营地址", "address"),
        "lon": LON_HEADERS,
        "lat": LAT_HEADERS,
        "grid": GRID_HEADERS,
        "contact_name": ("联系人", "负责人", "contact_name"),
        "contact_phone": ("联系电话", "电话", "contact_phone", "phone"),
    }
    keys = ("credit_code", "name")
    required = ("name", "kind", "lon", "lat")
    masked = ("contact_phone",)

    def find(self, values: dict) -> Organisation | None:
        if self.key == "name":
            rows = list(
                Organisation.objects.restrict(self.user).filter(name=values.get("name"))[:2]
            )
            if len(rows) > 1:
                raise ValidationError({"name": [_("Several organisations have this name")]})
            return rows[0] if rows else None
        code = str(values.get("credit_code") or "").strip().upper()
        if not code:
            return None
        found = Organisation.objects.filter(credit_code=code).first()
        if found and not self.sees(Organisation, found):
            raise ValidationError(
                {"credit_code": [_("An organisation with this credit code already exists")]}
            )
        return found

    def apply(self, values: dict) -> str:
        if values.get("kind"):
            values["kind"] = choice(ORGANISATION_KINDS, values["kind"], "kind")
        existing = self.find(values)
        fields = ("name", "kind", "credit_code", "address", "contact_name", "contact_phone")
        if existing is None:
            self.require(values)
            services.organisation_create(
                lon=values["lon"],
                lat=values["lat"],
                grid_code=values.get("grid", ""),
                user=self.user,
                **{f: values.get(f, "") for f in fields},
            )
            return "created"
        changes = _changes(values, (*fields, "lon", "lat"))
        if values.get("grid"):
            changes["grid_code"] = values["grid"]
        services.organisation_update(organisation=existing, user=self.user, **changes)
        return "updated"


KINDS: dict[str, type[Rows]] = {
    cls.kind: cls for cls in (ResidentRows, HouseRows, HouseholdRows, OrganisationRows)
}
