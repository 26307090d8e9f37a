"""API schemas of the people registry. Out-schemas carry masked personal data only; the
whole values leave the server through the ``reveal`` schemas alone (audited)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema

from yemai.core.schemas import Message as CoreMessage


class InGridOut(Schema):
    """The micro-grid of a row, by code and name (every ledger row belongs to one)."""

    grid: str
    grid_name: str

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code

    @staticmethod
    def resolve_grid_name(obj):
        return obj.grid.name


class ResidentFilter(Schema):
    q: str = ""  # name contains, or exact ID number / phone (matched by hash)
    grid: str = ""  # grid code: the grid and everything under it
    tag: str = ""
    registration: str = ""


class ResidentOut(InGridOut):
    id: int
    name: str
    id_number: str  # masked: 110***********1234
    sex: str
    birth_date: dt.date | None
    phone: str  # masked: 138****5678
    registration: str
    household: str | None
    house: str | None
    tags: list[str]
    updated_at: dt.datetime

    @staticmethod
    def resolve_id_number(obj):
        return obj.id_number_masked

    @staticmethod
    def resolve_phone(obj):
        return obj.phone_masked

    @staticmethod
    def resolve_household(obj):
        return obj.household.number if obj.household_id else None

    @staticmethod
    def resolve_house(obj):
        return obj.house.code if obj.house_id else None

    @staticmethod
    def resolve_tags(obj):
        return [t.name for t in obj.tags.all()]


class ResidentIn(Schema):
    name: str
    id_number: str  # GB 11643; a document number for 境外 (foreign) residents
    phone: str = ""
    registration: str = "household"
    grid: str  # micro-grid code
    household: str | None = None  # household number
    house: str | None = None  # house code
    tags: list[str] = []
    birth_date: dt.date | None = None  # foreign residents only; otherwise from the ID number
    sex: str = ""


class ResidentPatch(Schema):
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    registration: str | None = None
    grid: str | None = None
    household: str | None = None
    house: str | None = None
    tags: list[str] | None = None
    birth_date: dt.date | None = None
    sex: str | None = None


class ResidentRevealOut(Schema):
    id: int
    name: str
    id_number: str
    phone: str
    address: str


class HouseFilter(Schema):
    q: str = ""
    grid: str = ""
    use: str = ""


class HouseOut(InGridOut):
    id: int
    code: str
    address: str  # masked: 东门路**号
    lon: float | None
    lat: float | None
    use: str
    landlord_id: int | None
    landlord_name: str | None

    @staticmethod
    def resolve_address(obj):
        return obj.address_masked

    @staticmethod
    def resolve_landlord_id(obj):
        return obj.landlord_id if getattr(obj, "landlord_visible", False) else None

    @staticmethod
    def resolve_landlord_name(obj):
        return obj.landlord.name if getattr(obj, "landlord_visible", False) else None


class HouseIn(Schema):
    code: str
    address: str
    lon: float | None = None
    lat: float | None = None
    grid: str = ""  # micro-grid code, when there are no coordinates
    use: str = "own"
    landlord_id: int | None = None


class HousePatch(Schema):
    code: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    grid: str | None = None
    use: str | None = None
    landlord_id: int | None = None


class HouseRevealOut(Schema):
    id: int
    code: str
    address: str


class HouseholdFilter(Schema):
    q: str = ""
    grid: str = ""


class HouseholdOut(InGridOut):
    id: int
    number: str
    house: str | None

    @staticmethod
    def resolve_house(obj):
        return obj.house.code if obj.house_id else None


class HouseholdIn(Schema):
    number: str
    grid: str = ""  # micro-grid code; without it, the house's
    house: str | None = None  # house code


class HouseholdPatch(Schema):
    number: str | None = None
    grid: str | None = None
    house: str | None = None


class OrganisationFilter(Schema):
    q: str = ""  # name contains, or exact credit code
    grid: str = ""
    kind: str = ""


class OrganisationOut(InGridOut):
    id: int
    name: str
    kind: str
    credit_code: str
    address: str
    lon: float
    lat: float
    contact_name: str
    contact_phone: str  # masked

    @staticmethod
    def resolve_contact_phone(obj):
        return obj.contact_phone_masked


class OrganisationIn(Schema):
    name: str
    kind: str
    lon: float
    lat: float
    credit_code: str = ""
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    grid: str = ""  # optional: must agree with the point


class OrganisationPatch(Schema):
    name: str | None = None
    kind: str | None = None
    lon: float | None = None
    lat: float | None = None
    credit_code: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    grid: str | None = None


class OrganisationRevealOut(Schema):
    id: int
    name: str
    contact_phone: str


class RowErrorOut(Schema):
    row: int  # as Excel shows it; 0 for the file as a whole
    column: str
    message: str


class ImportReportOut(Schema):
    kind: str
    key: str
    rows: int
    created: int
    updated: int
    skipped: int
    bad_rows: int
    applied: bool
    dry_run: bool
    errors: list[RowErrorOut]


# The API's shared error answer (one schema of that name in the OpenAPI document).
Message = CoreMessage
