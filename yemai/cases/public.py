"""The residents' API (/api/public): no account, phone first.

Report a problem, see similar open cases nearby before submitting, follow a case with its
tracking code (查询码), and rate it with the link sent when it closes. Nothing here shows a
name, a phone, a staff note or a precise address: only what the resident already knows.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from . import duplicates, rating, services
from .choices import FINAL_STATES, Action, Source, State
from .models import Case

router = Router(tags=["residents"])

# The steps a resident sees on the tracking page; the rest is staff housekeeping.
PUBLIC_ACTIONS = {
    Action.REPORT, Action.REGISTER, Action.REJECT, Action.DISPATCH, Action.ACCEPT,
    Action.ESCALATE, Action.REFER, Action.HANDLE, Action.VERIFY, Action.REWORK, Action.CLOSE,
    Action.PARK, Action.UNPARK, Action.WITHDRAW, Action.MERGE, Action.RATE,
}  # fmt: skip


class ResidentReportIn(Schema):
    category: str = Field(..., max_length=20, description="subcategory code, e.g. 0203")
    description: str = Field(..., max_length=2000)
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", max_length=8, description="wgs84, gcj02 (Amap) or bd09 (Baidu)")
    address: str = Field("", max_length=200)
    name: str = Field("", max_length=50)
    phone: str = Field("", max_length=20, description="for the rating link (SMS)")


class ReportedOut(Schema):
    number: str
    tracking_code: str
    state: str
    state_label: str


class StepOut(Schema):
    action: str
    label: str
    at: dt.datetime


class TrackOut(Schema):
    number: str
    category: str
    state: str
    state_label: str
    open: bool
    reported_at: dt.datetime
    closed_at: dt.datetime | None
    merged_into: str | None = None
    steps: list[StepOut]
    can_rate: bool = False  # closed, asks for a rating, not yet rated by this reporter


class SimilarOut(Schema):
    number: str
    category: str
    state_label: str
    distance_m: float
    reported_at: dt.datetime


class RatingIn(Schema):
    score: int = Field(..., ge=1, le=5)
    fixed: str = Field(..., description="yes, no or unknown")
    comment: str = Field("", max_length=1000)


class RatingCaseOut(Schema):
    number: str
    category: str
    closed_at: dt.datetime | None


@router.post("/cases", response={201: ReportedOut}, auth=None, summary="Report a problem")
def public_report(request, payload: ResidentReportIn):
    category = services.category_get_leaf(code=payload.category)
    case, _created = services.case_report(
        source=Source.RESIDENT,
        category=category,
        description=payload.description,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        address=payload.address,
        reporter_name=payload.name,
        reporter_phone=payload.phone,
    )
    return Status(201, _reported(case))


@router.get(
    "/similar",
    response=list[SimilarOut],
    auth=None,
    summary="Open cases like this one nearby (shown before submitting)",
)
def public_similar(request, category: str, lon: float, lat: float, crs: str = "wgs84"):
    leaf = services.category_get_leaf(code=category)
    lon, lat = services.point_check(lon, lat, crs)
    found = duplicates.similar_open_cases(category=leaf, lon=lon, lat=lat, limit=5)
    return [
        {
            "number": c.number,
            "category": c.category.name,
            "state_label": _label(c.state),
            "distance_m": round(c.distance_m, 1),
            "reported_at": c.reported_at,
        }
        for c in found
    ]


@router.get("/cases/{code}", response=TrackOut, auth=None, summary="Follow a case")
def public_track(request, code: str):
    case = duplicates.case_for_tracking_code(code)
    if case is None:
        raise Http404
    asked = Case.objects.filter(tracking_code=code.strip().upper()[:16]).first()
    steps = [
        {"action": e.action, "label": str(Action(e.action).label), "at": e.at}
        for e in case.events.filter(action__in=PUBLIC_ACTIONS).order_by("at", "id")
    ]
    return {
        "number": case.number,
        "category": case.category.name,
        "state": case.state,
        "state_label": _label(case.state),
        "open": case.state not in FINAL_STATES,
        "reported_at": case.reported_at,
        "closed_at": case.closed_at,
        "merged_into": case.number if asked is not None and asked.pk != case.pk else None,
        "steps": steps,
        "can_rate": _can_rate(code),
    }


def _can_rate(code: str) -> bool:
    try:
        rating.rating_case_for_code(code=code)
    except ValidationError:
        return False
    return True


@router.get("/rate/{token}", response=RatingCaseOut, auth=None, summary="The case a link rates")
def public_rating_case(request, token: str):
    case = rating.rating_case_for_token(token=token)
    return {"number": case.number, "category": case.category.name, "closed_at": case.closed_at}


@router.post("/rate/{token}", response={201: dict}, auth=None, summary="Rate a closed case")
def public_rate(request, token: str, payload: RatingIn):
    given = rating.rating_submit(
        token=token, score=payload.score, fixed=payload.fixed, comment=payload.comment
    )
    return _rated(given)


@router.post(
    "/cases/{code}/rating",
    response={201: dict},
    auth=None,
    summary="Rate a closed case with its tracking code",
)
def public_rate_by_code(request, code: str, payload: RatingIn):
    """The reporter's rating without the SMS link: the tracking code they were given when they
    reported proves it is theirs. Once each time the case closes, as with the link."""
    given = rating.rating_submit_by_code(
        code=code, score=payload.score, fixed=payload.fixed, comment=payload.comment
    )
    return _rated(given)


def _rated(given) -> dict:
    reopened = Case.objects.filter(pk=given.case_id).values_list("state", flat=True)[0] != (
        State.CLOSED
    )
    message = (
        _("Thank you. The case is reopened: the grid member will come back to it.")
        if reopened
        else _("Thank you for your rating.")
    )
    return Status(201, {"number": given.case.number, "reopened": reopened, "message": message})


def _reported(case: Case) -> dict:
    return {
        "number": case.number,
        "tracking_code": case.tracking_code,
        "state": case.state,
        "state_label": _label(case.state),
    }


def _label(state: str) -> str:
    return str(State(state).label)
