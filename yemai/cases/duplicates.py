"""Duplicates (重复案件): finding them before a report is sent, and merging them (合并).

A case is a likely duplicate of an open case of the same subcategory reported within
``settings.CASE_DUPLICATE_M`` metres and ``settings.CASE_DUPLICATE_HOURS`` hours. The resident
portal shows such cases before the resident submits; staff merge a duplicate into the original
(``case_merge``); camera cases are merged automatically (``case_report_deduplicated``). The
reporter of a merged case follows the original: their tracking code shows it, and they rate it
when it closes with a link of their own.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.grids.geo import M_PER_DEG_LAT, distance_m, metres_to_degrees

from . import workflow
from .choices import OPEN_STATES, Action, RejectReason, Source
from .models import Case, Category

MAX_FOLLOW = 20  # merged-into chains are flattened on merge; this only guards a corrupt table


def similar_open_cases(
    *,
    category: Category,
    lon: float | None,
    lat: float | None,
    within_m: float | None = None,
    hours: float | None = None,
    now: dt.datetime | None = None,
    source: str | None = None,
    exclude: Case | None = None,
    user=None,
    limit: int = 20,
) -> list[Case]:
    """Open cases of the same subcategory near the point and recent, newest first.

    A bounding box on lon/lat narrows the rows in SQL; the exact distance (metres) decides.
    Each case returned carries ``distance_m``. ``user`` restricts to what they may see.
    """
    if lon is None or lat is None:
        return []
    within_m = settings.CASE_DUPLICATE_M if within_m is None else float(within_m)
    hours = settings.CASE_DUPLICATE_HOURS if hours is None else float(hours)
    now = now or timezone.now()
    dlat = within_m / M_PER_DEG_LAT
    dlon = metres_to_degrees(within_m, lat)
    qs = Case.objects.filter(
        category=category,
        state__in=sorted(OPEN_STATES),
        reported_at__gte=now - dt.timedelta(hours=hours),
        reported_at__lte=now,
        lon__gte=lon - dlon,
        lon__lte=lon + dlon,
        lat__gte=lat - dlat,
        lat__lte=lat + dlat,
    )
    if source:
        qs = qs.filter(source=source)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if user is not None:
        qs = qs.restrict(user)
    found = []
    for case in qs.select_related("category", "grid").order_by("-reported_at", "-id")[:500]:
        case.distance_m = distance_m(lon, lat, case.lon, case.lat)
        if case.distance_m <= within_m:
            found.append(case)
            if len(found) >= limit:
                break
    return found


def case_followed(case: Case) -> Case:
    """The case a reporter follows: the original a duplicate was merged into, else itself."""
    seen = 0
    while case.merged_into_id is not None and seen < MAX_FOLLOW:
        case = Case.objects.select_related("category", "grid").get(pk=case.merged_into_id)
        seen += 1
    return case


def case_for_tracking_code(code: str) -> Case | None:
    """What a resident's tracking code (查询码) shows: their case, or the original it was
    merged into."""
    code = (code or "").strip().upper()[:16]
    case = Case.objects.select_related("category", "grid").filter(tracking_code=code).first()
    return case_followed(case) if code and case is not None else None


@transaction.atomic
def case_merge(*, case: Case, into: Case, actor, note: str = "", now=None) -> Case:
    """Merge the duplicate ``case`` into ``into`` (合并); returns the original.

    The duplicate is rejected as a duplicate with ``merged_into`` set; the original gets a note
    naming it; cases merged into the duplicate earlier now point at the original too.
    """
    now = now or timezone.now()
    into = case_followed(Case.objects.select_related("category", "grid").get(pk=into.pk))
    if into.pk == case.pk:
        raise ValidationError({"into": [_("A case cannot be merged into itself")]})
    if into.state not in OPEN_STATES:
        raise ValidationError({"into": [_("Merge only into a case that is still open")]})
    actor = workflow.as_actor(actor)
    if actor.kind == "user":
        visible = Case.objects.restrict(actor.user)
        if not visible.filter(pk=case.pk).exists():
            raise Http404
        if not visible.filter(pk=into.pk).exists():
            raise ValidationError({"into": [_("No such case")]})
    workflow.case_transition(
        case=case,
        action=Action.MERGE,
        actor=actor,
        now=now,
        note=note,
        data={"into": into.pk, "into_number": into.number},
        merged_into=into,
        reject_reason=RejectReason.DUPLICATE,
    )
    moved = list(Case.objects.filter(merged_into=case).values_list("number", flat=True))
    Case.objects.filter(merged_into=case).update(merged_into=into)
    workflow.case_transition(
        case=into,
        action=Action.COMMENT,
        actor=actor,
        now=now,
        note=_("Case %(number)s was merged into this one as a duplicate") % {"number": case.number},
        data={"merged": case.pk, "merged_number": case.number, "also": moved},
    )
    into.refresh_from_db()
    return into


class Deduplicated(NamedTuple):
    case: Case  # the case to follow: the original when the new report was merged
    created: bool  # a new case row was made (False: an idempotent repeat)
    duplicate: Case | None  # the new case, merged into ``case``; None when not merged


@transaction.atomic
def case_report_deduplicated(*, category: Category, lon=None, lat=None, now=None, **report):
    """Camera intake (视频发现): report, and merge into a similar open camera case if any.

    Takes the arguments of ``services.case_report`` (``source`` defaults to camera). The
    duplicate is stored with its own history (every detection is kept) but merged at once, and
    nobody is notified of it: the original is already someone's work.
    """
    from . import notices
    from .services import case_report

    now = now or timezone.now()
    report.setdefault("source", Source.CAMERA)
    key = report.get("idempotency_key")
    if key:
        seen = Case.objects.filter(idempotency_key=key).first()
        if seen is not None:
            original = case_followed(seen)
            return Deduplicated(original, False, seen if original.pk != seen.pk else None)
    similar = []
    if report["source"] == Source.CAMERA and lon is not None and lat is not None:
        try:
            similar = similar_open_cases(
                category=category, lon=float(lon), lat=float(lat), now=now, source=Source.CAMERA
            )
        except (TypeError, ValueError):
            similar = []  # case_report explains bad coordinates
    if not similar:
        case, created = case_report(category=category, lon=lon, lat=lat, now=now, **report)
        original = case_followed(case)
        return Deduplicated(original, created, case if original.pk != case.pk else None)
    original = min(similar, key=lambda c: (c.distance_m, c.reported_at, c.pk))
    with notices.suppressed():
        case, created = case_report(category=category, lon=lon, lat=lat, now=now, **report)
        if not created:
            original = case_followed(case)
            return Deduplicated(original, False, case if original.pk != case.pk else None)
        original = case_merge(
            case=case,
            into=original,
            actor=workflow.system(_("Camera duplicate check")),
            now=now,
        )
    case.refresh_from_db()
    return Deduplicated(original, True, case)
