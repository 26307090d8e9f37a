"""The people API (/api/people): residents here, places in ``api_places``, ledgers in and out.

Lists and details are limited to the caller's scope (outside it: 404); writes need
``can_manage_people`` (403); whole personal data only through ``…/reveal`` (audited).
"""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from yemai.core.scoping import get_scoped_or_404

from . import selectors, services
from .api_places import house_by_code
from .api_places import router as places_router
from .exporters import LEDGERS, export_xlsx
from .importers import import_xlsx
from .models import Household, Resident
from .schemas import (
    ImportReportOut,
    Message,
    ResidentFilter,
    ResidentIn,
    ResidentOut,
    ResidentPatch,
    ResidentRevealOut,
)

router = Router(tags=["people"])
router.add_router("", places_router)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def household_by_number(user, number: str | None) -> Household | None:
    if not number:
        return None
    found = Household.objects.restrict(user).filter(number=number).first()
    if found is None:
        raise ValidationError({"household": [_("No household with this number in your scope")]})
    return found


def _resident(request, resident_id: int) -> Resident:
    return get_scoped_or_404(
        Resident.objects.select_related("grid", "household", "house"), request.user, pk=resident_id
    )


@router.get("/residents", response=list[ResidentOut])
@paginate(PageNumberPagination, page_size=50)
def list_residents(request, filters: Query[ResidentFilter]):
    return selectors.resident_list(user=request.user, **filters.dict())


@router.get("/residents/{resident_id}", response=ResidentOut)
def get_resident(request, resident_id: int):
    return _resident(request, resident_id)


@router.post("/residents", response={201: ResidentOut})
def create_resident(request, payload: ResidentIn):
    user = request.user
    services.require_manage(user)
    person = services.resident_create(
        grid=services.grid_by_code(user, payload.grid),
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        registration=payload.registration,
        household=household_by_number(user, payload.household),
        house=house_by_code(user, payload.house),
        tags=payload.tags,
        birth_date=payload.birth_date,
        sex=payload.sex,
        user=user,
    )
    return Status(201, person)


@router.patch("/residents/{resident_id}", response=ResidentOut)
def update_resident(request, resident_id: int, payload: ResidentPatch):
    user = request.user
    person = _resident(request, resident_id)
    services.require_manage(user)
    changes = payload.dict(exclude_unset=True)
    if "grid" in changes:
        changes["grid"] = services.grid_by_code(user, changes["grid"])
    if "household" in changes:
        changes["household"] = household_by_number(user, changes["household"])
    if "house" in changes:
        changes["house"] = house_by_code(user, changes["house"])
    if "tags" in changes and changes["tags"] is None:
        changes["tags"] = []
    services.resident_update(resident=person, user=user, **changes)
    return _resident(request, resident_id)


@router.delete("/residents/{resident_id}", response={204: None})
def delete_resident(request, resident_id: int):
    person = _resident(request, resident_id)
    services.resident_delete(resident=person, user=request.user)
    return Status(204, None)


@router.get("/residents/{resident_id}/reveal", response=ResidentRevealOut)
def reveal_resident(request, resident_id: int):
    """The whole ID number, phone and address; only for roles that may, and audited."""
    return services.resident_reveal(resident=_resident(request, resident_id), user=request.user)


# --- ledgers in and out ---------------------------------------------------------------------


# 400: the import's report, or (no file, a bad form field) the API's usual {"detail": …}.
@router.post("/import/{kind}", response={200: ImportReportOut, 400: ImportReportOut | Message})
def import_ledger(
    request,
    kind: str,
    file: File[UploadedFile],
    skip_bad_rows: Form[bool] = False,
    key: Form[str] = "",
    dry_run: Form[bool] = False,
):
    """Import an xlsx ledger. Any bad row: nothing changes (400 with every row's reason),
    unless ``skip_bad_rows``. ``dry_run`` checks without writing."""
    if kind not in LEDGERS:
        raise Http404
    services.require_manage(request.user)
    if file.size and file.size > MAX_IMPORT_BYTES:
        raise ValidationError({"file": [_("The file is larger than 20 MB")]})
    report = import_xlsx(
        kind=kind,
        file=file,
        user=request.user,
        skip_bad_rows=skip_bad_rows,
        key=key,
        dry_run=dry_run,
        filename=file.name or "",
    )
    status = 200 if report.applied or (dry_run and report.ok) else 400
    return Status(status, report.as_dict())


@router.get("/export/{kind}.xlsx")
def export_ledger(request, kind: str, grid: str = "", unmasked: bool = False):
    """The ledger of your scope (or of ``grid`` inside it) as xlsx; masked unless your role
    may see whole data and you ask for ``unmasked``. Every export is audited."""
    if kind not in LEDGERS:
        raise Http404
    result = export_xlsx(kind=kind, user=request.user, grid=grid or None, unmasked=unmasked)
    response = HttpResponse(result.content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "no-store"
    return response
