"""The ledgers API (/api/ledgers): one set of routes for every ledger of ``registry.LEDGERS``.

``{kind}`` is a ledger key (activities, petitions, welfare-households …). Lists and details are
limited to the caller's scope (outside it: 404); writes need a role that keeps ledgers (403);
whole personal data only through ``…/reveal`` (audited). Workflow steps have their own routes.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Body, File, Form, Query, Router, Status
from ninja.files import UploadedFile

from yemai.core.schemas import Message

from . import selectors, services
from .access import node_by_code
from .exporters import export_xlsx
from .importers import import_xlsx
from .registry import LEDGERS
from .schemas import (
    DeedTransitionIn,
    ImportOut,
    LedgerFilter,
    LendIn,
    PetitionCloseIn,
    RankingOut,
    WelfareReviewIn,
)

router = Router(tags=["ledgers"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE = 200


def _ledger(kind: str):
    if kind not in LEDGERS:
        raise Http404
    return LEDGERS[kind]


def _grid(request, code: str):
    """A filter's grid: outside the scope it does not exist (404), like any row there."""
    if not code:
        return None
    try:
        return node_by_code(request.user, code)
    except ValidationError:
        raise Http404 from None


def _row(request, kind: str, row_id: int):
    _ledger(kind)
    return selectors.ledger_row_get(kind=kind, user=request.user, pk=row_id)


@router.get("/kinds")
def list_kinds(request):
    """The ledgers and their columns (name, header, kind, required)."""
    return [
        {
            "kind": key,
            "title": ledger.title,
            "columns": [
                {"name": c.name, "header": c.header, "kind": c.kind, "required": c.required}
                for c in ledger.cols
            ],
        }
        for key, ledger in LEDGERS.items()
    ]


@router.get("/export/{kind}.xlsx")
def export_ledger(request, kind: str, filters: Query[LedgerFilter], unmasked: bool = False):
    """The ledger of your scope (or of ``grid`` in it, dated in [start, end)) as xlsx."""
    _ledger(kind)
    result = export_xlsx(
        kind=kind, user=request.user, grid=_grid(request, filters.grid), start=filters.start,
        end=filters.end, unmasked=unmasked,
    )  # fmt: skip
    response = HttpResponse(result.content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@router.post("/import/{kind}", response={200: ImportOut, 400: ImportOut | Message})
def import_ledger(request, kind: str, file: File[UploadedFile], skip_bad_rows: Form[bool] = False):
    """Import an xlsx ledger: any bad row and nothing is stored (400 listing every row's
    reasons), unless ``skip_bad_rows``."""
    _ledger(kind)
    result = import_xlsx(
        kind=kind, user=request.user, content=file.read(), skip_bad_rows=skip_bad_rows
    )
    body = {
        "kind": kind,
        "created": result.created,
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors],
    }
    return Status(200 if result.created or result.ok else 400, body)


@router.get("/campaigns/{row_id}/ranking", response=list[RankingOut])
def campaign_ranking(request, row_id: int):
    """The villages of a campaign ranked by their inspection scores."""
    campaign = selectors.campaign_get(user=request.user, pk=row_id)
    return [
        {**r, "grid": r["grid"].code, "grid_name": r["grid"].name}
        for r in selectors.campaign_ranking(user=request.user, campaign=campaign)
    ]


@router.post("/petitions/{row_id}/close")
def close_petition(request, row_id: int, payload: PetitionCloseIn):
    """销号: close a petition with its cancellation number."""
    petition = _row(request, "petitions", row_id)
    services.petition_close(user=request.user, petition=petition, **payload.dict())
    return selectors.row_dict(LEDGERS["petitions"], petition)


@router.post("/welfare-households/{row_id}/reviews")
def review_welfare(request, row_id: int, payload: WelfareReviewIn):
    """A periodic review; the outcome ``exit`` ends the support."""
    household = _row(request, "welfare-households", row_id)
    services.welfare_review_add(user=request.user, household=household, **payload.dict())
    return selectors.row_dict(LEDGERS["welfare-households"], household)


@router.post("/good-deeds/{row_id}/transition")
def transition_deed(request, row_id: int, payload: DeedTransitionIn):
    """Move a deed: investigating → confirmed / rejected → commended."""
    deed = _row(request, "good-deeds", row_id)
    fields = {k: v for k, v in payload.dict().items() if k != "to" and v is not None}
    if "award" in fields:
        fields["award"] = Decimal(str(fields["award"]))
    services.deed_transition(user=request.user, deed=deed, to=payload.to, **fields)
    return selectors.row_dict(LEDGERS["good-deeds"], deed)


@router.post("/service-requests/{row_id}/lend")
def lend_tool(request, row_id: int, payload: LendIn):
    req = _row(request, "service-requests", row_id)
    services.service_request_lend(user=request.user, request=req, return_due=payload.return_due)
    return selectors.row_dict(LEDGERS["service-requests"], req)


@router.post("/service-requests/{row_id}/finish")
def finish_request(request, row_id: int):
    req = _row(request, "service-requests", row_id)
    services.service_request_finish(user=request.user, request=req)
    return selectors.row_dict(LEDGERS["service-requests"], req)


@router.get("/{kind}")
def list_rows(request, kind: str, filters: Query[LedgerFilter], offset: int = 0):
    """Rows of a ledger in your scope (personal data masked), 200 at a time from ``offset``."""
    ledger = _ledger(kind)
    qs = selectors.ledger_list(
        kind=kind, user=request.user, grid=_grid(request, filters.grid), start=filters.start,
        end=filters.end, q=filters.q,
    )  # fmt: skip
    offset = max(0, offset)
    return {
        "count": qs.count(),
        "items": [selectors.row_dict(ledger, o) for o in qs[offset : offset + PAGE]],
    }


@router.post("/{kind}", response={201: dict})
def create_row(request, kind: str, payload: Body[dict]):
    """Add a row: the body maps column names to values (grid codes, dates as 2026-05-01)."""
    ledger = _ledger(kind)
    if not isinstance(payload, dict):
        raise ValidationError(_("Send a JSON object"))
    obj = services.ledger_row_create(kind=kind, user=request.user, data=payload)
    return Status(201, selectors.row_dict(ledger, obj))


@router.get("/{kind}/{row_id}")
def get_row(request, kind: str, row_id: int):
    return selectors.row_dict(_ledger(kind), _row(request, kind, row_id))


@router.patch("/{kind}/{row_id}")
def update_row(request, kind: str, row_id: int, payload: Body[dict]):
    obj = _row(request, kind, row_id)
    services.ledger_row_update(kind=kind, user=request.user, obj=obj, data=payload)
    return selectors.row_dict(_ledger(kind), obj)


@router.delete("/{kind}/{row_id}", response={204: None})
def delete_row(request, kind: str, row_id: int):
    obj = _row(request, kind, row_id)
    services.ledger_row_delete(kind=kind, user=request.user, obj=obj)
    return Status(204, None)


@router.post("/{kind}/{row_id}/reveal")
def reveal_row(request, kind: str, row_id: int):
    """The whole ID number and phone of one row; only for roles that may, and audited."""
    ledger = _ledger(kind)
    if not ledger.pii:
        raise Http404
    return services.reveal(user=request.user, obj=_row(request, kind, row_id))
