"""Aggregate reads of the ledgers for reports: each a few SQL aggregates over a period.

Every function takes the user (scope), a grid node (everything under its ``path``) and a
period [start, end) of dates, and returns plain numbers; each says in ``FILTERS`` words what
it counted, so the report can print where every figure came from.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from . import models
from .access import reader
from .choices import DeedState, PetitionState, RequestState, WelfareState


def _scoped(model, user, node):
    return model.objects.restrict(reader(user)).filter(grid__path__startswith=node.path)


def _n(value) -> int | float:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return float(value)
    return value


def activity_by_type(*, user, node, start: dt.date, end: dt.date) -> dict[str, dict]:
    """Per activity type: activities, participants, 五老, brochures, banners, boards."""
    rows = (
        _scoped(models.Activity, user, node)
        .filter(date__gte=start, date__lt=end)
        .values("type__name", "type__order")
        .annotate(
            count=Count("id"),
            participants=Sum("participants"),
            five_elders=Sum("five_elders"),
            brochures=Sum("brochures"),
            banners=Sum("banners"),
            boards=Sum("boards"),
        )
        .order_by("type__order", "type__name")
    )
    return {
        r["type__name"]: {k: _n(r[k]) for k in ("count", "participants", "five_elders",
                                                "brochures", "banners", "boards")}
        for r in rows
    }  # fmt: skip


def activity_by_grid(*, user, node, start: dt.date, end: dt.date) -> dict[str, dict]:
    """Per grid path (each organiser node): activities and participants."""
    rows = (
        _scoped(models.Activity, user, node)
        .filter(date__gte=start, date__lt=end)
        .values("grid__path")
        .annotate(count=Count("id"), participants=Sum("participants"))
        .order_by()
    )
    return {
        r["grid__path"]: {"count": r["count"], "participants": _n(r["participants"])} for r in rows
    }


def activity_by_month(*, user, node, start: dt.date, end: dt.date) -> dict[int, int]:
    from django.db.models.functions import ExtractMonth

    rows = (
        _scoped(models.Activity, user, node)
        .filter(date__gte=start, date__lt=end)
        .annotate(m=ExtractMonth("date"))
        .values("m")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["m"]: r["n"] for r in rows}


def volunteer_summary(*, user, node) -> dict:
    teams = list(_scoped(models.VolunteerTeam, user, node).values_list("name", flat=True))
    members = _scoped(models.VolunteerMember, user, node).aggregate(
        n=Count("id"), elders=Count("id", filter=Q(five_elders=True))
    )
    return {
        "teams": len(teams),
        "names": teams,
        "members": members["n"],
        "five_elders": members["elders"],
    }


def holiday_school_summary(*, user, node, year: int) -> dict:
    agg = (
        _scoped(models.HolidaySchool, user, node)
        .filter(year=year)
        .aggregate(
            schools=Count("id"),
            communities=Count("grid", distinct=True),
            students=Sum("students"),
            in_service=Sum("teachers_in_service"),
            five_elders=Sum("teachers_five_elders"),
            volunteers=Sum("teachers_volunteers"),
            cadres=Sum("teachers_cadres"),
            three_star=Count("id", filter=Q(star_applied__gte=3)),
            outstanding=Sum("outstanding_volunteers"),
        )
    )
    return {k: _n(v) for k, v in agg.items()}


def welfare_summary(*, user, node, start: dt.date, end: dt.date) -> dict:
    households = _scoped(models.WelfareHousehold, user, node)
    active = Q(entered_on__lt=end) & (Q(exited_on__isnull=True) | Q(exited_on__gte=end))
    agg = households.aggregate(
        dibao=Count("id", filter=active & Q(kind="dibao")),
        dibao_persons=Sum("members", filter=active & Q(kind="dibao")),
        tekun=Count("id", filter=active & Q(kind="tekun")),
        tekun_persons=Sum("members", filter=active & Q(kind="tekun")),
        monthly=Sum("monthly_amount", filter=active),
        entered=Count("id", filter=Q(entered_on__gte=start, entered_on__lt=end)),
        exited=Count(
            "id", filter=Q(state=WelfareState.EXITED, exited_on__gte=start, exited_on__lt=end)
        ),
    )
    reviews = (
        _scoped(models.WelfareReview, user, node).filter(date__gte=start, date__lt=end).count()
    )
    relief = (
        _scoped(models.ReliefPayment, user, node)
        .filter(date__gte=start, date__lt=end)
        .aggregate(n=Count("id"), amount=Sum("amount"))
    )
    return {
        **{k: _n(v) for k, v in agg.items()},
        "reviews": reviews,
        "relief": relief["n"],
        "relief_amount": _n(relief["amount"]),
    }


def petition_summary(*, user, node, start: dt.date, end: dt.date) -> dict:
    qs = _scoped(models.Petition, user, node)
    agg = qs.aggregate(
        received=Count("id", filter=Q(received_on__gte=start, received_on__lt=end)),
        received_closed=Count(
            "id",
            filter=Q(received_on__gte=start, received_on__lt=end, state=PetitionState.CLOSED),
        ),
        closed=Count("id", filter=Q(closed_on__gte=start, closed_on__lt=end)),
    )
    return agg


def safety_summary(*, user, node, start: dt.date, end: dt.date) -> dict:
    inspections = _scoped(models.SafetyInspection, user, node).filter(date__gte=start, date__lt=end)
    hazards = _scoped(models.Hazard, user, node).filter(
        inspection__date__gte=start, inspection__date__lt=end
    )
    h = hazards.aggregate(
        n=Count("id"),
        rectified=Count("id", filter=Q(rectified_on__isnull=False)),
        on_time=Count(
            "id",
            filter=Q(rectified_on__isnull=False, rectified_on__lte=F("deadline")),
        ),
        cases=Count("id", filter=~Q(case_number="")),
    )
    return {"inspections": inspections.count(), "hazards": h["n"], "rectified": h["rectified"],
            "on_time": h["on_time"], "cases": h["cases"]}  # fmt: skip


def deed_summary(*, user, node, start: dt.date, end: dt.date) -> dict:
    qs = _scoped(models.GoodDeed, user, node)
    decided = Q(decided_on__gte=start, decided_on__lt=end)
    agg = qs.aggregate(
        registered=Count("id", filter=Q(deed_on__gte=start, deed_on__lt=end)),
        confirmed=Count(
            "id", filter=decided & Q(state__in=[DeedState.CONFIRMED, DeedState.COMMENDED])
        ),
        commended=Count("id", filter=decided & Q(state=DeedState.COMMENDED)),
        award=Sum("award", filter=decided & Q(state=DeedState.COMMENDED)),
    )
    return {k: _n(v) for k, v in agg.items()}


def service_summary(*, user, node, start: dt.date, end: dt.date) -> dict:
    qs = _scoped(models.ServiceRequest, user, node).filter(
        requested_on__gte=start, requested_on__lt=end
    )
    agg = qs.aggregate(
        requests=Count("id"),
        done=Count("id", filter=Q(state__in=[RequestState.DONE, RequestState.RETURNED])),
        lent=Count("id", filter=Q(item__kind="tool")),
        rights=Count("id", filter=Q(item__kind="rights")),
        repair=Count("id", filter=Q(item__kind="repair")),
        living=Count("id", filter=Q(item__kind="living")),
    )
    agg["catalogue"] = _scoped(models.ServiceItem, user, node).count()
    return agg


def campaigns_in(*, user, node, start: dt.date, end: dt.date) -> list[models.Campaign]:
    """Campaigns running in the period, of the node or above it (a town's campaign has
    targets in its villages): the campaigns with a target or inspection under the node."""
    viewer = reader(user)
    ids = set(
        models.CampaignTarget.objects.restrict(viewer)
        .filter(grid__path__startswith=node.path)
        .values_list("campaign_id", flat=True)
    ) | set(_scoped(models.Campaign, user, node).values_list("pk", flat=True))
    # The ids come from rows the user may see: a village head sees the town's campaign its
    # village takes part in.
    return list(
        models.Campaign.objects.filter(pk__in=ids, start__lt=end, end__gte=start).order_by("start")
    )
