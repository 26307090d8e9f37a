"""The people API for places: houses (房屋), households (户), organisations (单位).

Mounted under /api/people by ``api.py``; same rules: scope (404), ``can_manage_people`` for
writes (403), masked output, whole values only through the audited ``…/reveal``.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import PageNumberPagination, paginate

from yemai.core.scoping import get_scoped_or_404

from . import selectors, services
from .models import House, Household, Organisation, Resident
from .schemas import (
    HouseFilter,
    HouseholdFilter,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatch,
    HouseIn,
    HouseOut,
    HousePatch,
    HouseRevealOut,
    OrganisationFilter,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    OrganisationRevealOut,
)

router = Router(tags=["people"])


def _landlord(user, resident_id: int | None) -> Resident | None:
    if resident_id is None:
        return None
    found = Resident.objects.restrict(user).filter(pk=resident_id).first()
    if found is None:
        raise ValidationError({"landlord_id": [_("No resident with this id in your scope")]})
    return found


def house_by_code(user, code: str | None, field: str = "house") -> House | None:
    if not code:
        return None
    found = House.objects.restrict(user).filter(code=code).first()
    if found is None:
        raise ValidationError({field: [_("No house with this code in your scope")]})
    return found


def _get(model, request, pk):
    return get_scoped_or_404(model.objects.select_related("grid"), request.user, pk=pk)


# --- houses ---------------------------------------------------------------------------------


@router.get("/houses", response=list[HouseOut])
@paginate(PageNumberPagination, page_size=50)
def list_houses(request, filters: Query[HouseFilter]):
    return selectors.house_list(user=request.user, **filters.dict())


def _house(request, house_id: int) -> House:
    houses = selectors.house_list(user=request.user)
    return get_scoped_or_404(houses, request.user, pk=house_id)


@router.get("/houses/{house_id}", response=HouseOut)
def get_house(request, house_id: int):
    return _house(request, house_id)


@router.post("/houses", response={201: HouseOut})
def create_house(request, payload: HouseIn):
    user = request.user
    services.require_manage(user)
    house = services.house_create(
        code=payload.code,
        address=payload.address,
        lon=payload.lon,
        lat=payload.lat,
        grid_code=payload.grid,
        use=payload.use,
        landlord=_landlord(user, payload.landlord_id),
        user=user,
    )
    return Status(201, _house(request, house.pk))


@router.patch("/houses/{house_id}", response=HouseOut)
def update_house(request, house_id: int, payload: HousePatch):
    user = request.user
    house = _get(House, request, house_id)
    services.require_manage(user)
    changes = payload.dict(exclude_unset=True)
    if "grid" in changes:
        changes["grid_code"] = changes.pop("grid") or ""
    if "landlord_id" in changes:
        changes["landlord"] = _landlord(user, changes.pop("landlord_id"))
    services.house_update(house=house, user=user, **changes)
    return _house(request, house_id)


@router.delete("/houses/{house_id}", response={204: None})
def delete_house(request, house_id: int):
    services.house_delete(house=_get(House, request, house_id), user=request.user)
    return Status(204, None)


@router.get("/houses/{house_id}/reveal", response=HouseRevealOut)
def reveal_house(request, house_id: int):
    """The whole address; only for roles that may, and audited."""
    return services.house_reveal(house=_get(House, request, house_id), user=request.user)


# --- households -----------------------------------------------------------------------------


@router.get("/households", response=list[HouseholdOut])
@paginate(PageNumberPagination, page_size=50)
def list_households(request, filters: Query[HouseholdFilter]):
    return selectors.household_list(user=request.user, **filters.dict())


@router.get("/households/{household_id}", response=HouseholdOut)
def get_household(request, household_id: int):
    return _get(Household, request, household_id)


@router.post("/households", response={201: HouseholdOut})
def create_household(request, payload: HouseholdIn):
    user = request.user
    services.require_manage(user)
    household = services.household_create(
        number=payload.number,
        grid_code=payload.grid,
        house=house_by_code(user, payload.house),
        user=user,
    )
    return Status(201, household)


@router.patch("/households/{household_id}", response=HouseholdOut)
def update_household(request, household_id: int, payload: HouseholdPatch):
    user = request.user
    household = _get(Household, request, household_id)
    services.require_manage(user)
    changes = payload.dict(exclude_unset=True)
    if "grid" in changes:
        changes["grid_code"] = changes.pop("grid") or ""
    if "house" in changes:
        changes["house"] = house_by_code(user, changes["house"])
    services.household_update(household=household, user=user, **changes)
    return _get(Household, request, household_id)


@router.delete("/households/{household_id}", response={204: None})
def delete_household(request, household_id: int):
    household = _get(Household, request, household_id)
    services.household_delete(household=household, user=request.user)
    return Status(204, None)


# --- organisations --------------------------------------------------------------------------


@router.get("/organisations", response=list[OrganisationOut])
@paginate(PageNumberPagination, page_size=50)
def list_organisations(request, filters: Query[OrganisationFilter]):
    return selectors.organisation_list(user=request.user, **filters.dict())


@router.get("/organisations/{organisation_id}", response=OrganisationOut)
def get_organisation(request, organisation_id: int):
    return _get(Organisation, request, organisation_id)


@router.post("/organisations", response={201: OrganisationOut})
def create_organisation(request, payload: OrganisationIn):
    services.require_manage(request.user)
    data = payload.dict()
    data["grid_code"] = data.pop("grid")
    return Status(201, services.organisation_create(user=request.user, **data))


@router.patch("/organisations/{organisation_id}", response=OrganisationOut)
def update_organisation(request, organisation_id: int, payload: OrganisationPatch):
    org = _get(Organisation, request, organisation_id)
    services.require_manage(request.user)
    changes = payload.dict(exclude_unset=True)
    if "grid" in changes:
        changes["grid_code"] = changes.pop("grid") or ""
    services.organisation_update(organisation=org, user=request.user, **changes)
    return _get(Organisation, request, organisation_id)


@router.delete("/organisations/{organisation_id}", response={204: None})
def delete_organisation(request, organisation_id: int):
    org = _get(Organisation, request, organisation_id)
    services.organisation_delete(organisation=org, user=request.user)
    return Status(204, None)


@router.get("/organisations/{organisation_id}/reveal", response=OrganisationRevealOut)
def reveal_organisation(request, organisation_id: int):
    """The whole contact phone; only for roles that may, and audited."""
    org = _get(Organisation, request, organisation_id)
    return services.organisation_reveal(organisation=org, user=request.user)
