"""Every read of the ledgers, always inside the user's scope (``restrict``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Max, QuerySet, Sum

from yemai.core.masking import mask_id_number, mask_phone
from yemai.core.scoping import get_scoped_or_404

from . import models
from .access import reader
from .choices import CHOICE_WORDS
from .registry import Col, Ledger, ledger_get


def ledger_list(
    *, kind: str, user, grid=None, start: dt.date | None = None, end: dt.date | None = None,
    q: str = "",
) -> QuerySet:  # fmt: skip
    """A ledger's rows in the scope, under ``grid`` (a node), dated in [start, end)."""
    ledger = ledger_get(kind)
    qs = ledger.model.objects.restrict(reader(user))
    if grid is not None:
        qs = qs.filter(grid__path__startswith=grid.path)
    if ledger.date_field and start is not None:
        qs = qs.filter(**{f"{ledger.date_field}__gte": start})
    if ledger.date_field and end is not None:
        qs = qs.filter(**{f"{ledger.date_field}__lt": end})
    if q:
        text_cols = [c.name for c in ledger.cols if c.kind == "text"]
        from django.db.models import Q

        cond = Q()
        for name in text_cols[:3]:
            cond |= Q(**{f"{name}__icontains": q})
        qs = qs.filter(cond)
    related = [c.name for c in ledger.cols if c.kind in {"grid", "fk"}]
    return qs.select_related(*related).order_by(*ledger.model._meta.ordering, "pk")


def ledger_row_get(*, kind: str, user, pk: int):
    ledger = ledger_get(kind)
    return get_scoped_or_404(ledger.model.objects, reader(user), pk=pk)


def cell_value(col: Col, obj, *, whole: bool = False, words: bool = False):
    """One column of a row: codes for grids, names for rows, masked PII; with ``words``, as
    the Excel ledger writes it (Chinese words for choices, 是/否)."""
    value = getattr(obj, col.name)
    if col.kind == "grid":
        return value.code if value is not None else ""
    if col.kind == "fk":
        if value is None:
            return ""
        target = "name" if col.fk == "activity-types" else ledger_get(col.fk).natural
        if target == "id_number":
            return value.id_number if whole else mask_id_number(value.id_number)
        return getattr(value, target) if target else value.pk
    if col.kind == "id_number":
        return (value or "") if whole else mask_id_number(value)
    if col.kind == "phone":
        return (value or "") if whole else mask_phone(value)
    if col.kind == "choice":
        return (CHOICE_WORDS.get(value, value) if words else value) if value else ""
    if col.kind == "bool":
        return ("是" if value else "否") if words else bool(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_dict(ledger: Ledger, obj, *, whole: bool = False) -> dict:
    row = {"id": obj.pk}
    for col in ledger.cols:
        row[col.name] = cell_value(col, obj, whole=whole)
    grid = getattr(obj, "grid", None)
    row["grid_name"] = grid.name if grid is not None else ""
    return row


def campaign_ranking(*, user, campaign: models.Campaign) -> list[dict]:
    """Villages of a campaign ranked by their mean inspection score, with completion of targets.

    Each row: grid, inspections, mean score, last inspection's 整改意见, targets, targets met
    (progress ≥ target) and completion (done / target over all items, capped at 1 per item).
    """
    viewer = reader(user)
    inspections = (
        models.CampaignInspection.objects.restrict(viewer)
        .filter(campaign=campaign)
        .values("grid")
        .annotate(n=Count("id"), total=Sum("score"), last=Max("date"))
    )
    by_grid = {r["grid"]: r for r in inspections}
    targets = list(
        models.CampaignTarget.objects.restrict(viewer)
        .filter(campaign=campaign)
        .annotate(done=Sum("progress__quantity"))
        .select_related("grid")
    )
    grids = {t.grid_id: t.grid for t in targets}
    from yemai.grids import selectors as grid_selectors

    for gid in by_grid:
        if gid not in grids:
            grids[gid] = grid_selectors.grid_node_by_id(pk=gid)
    rows = []
    for gid, grid in grids.items():
        mine = [t for t in targets if t.grid_id == gid]
        shares = [min(1, (t.done or 0) / t.quantity) if t.quantity else 1 for t in mine]
        stats = by_grid.get(gid)
        last = None
        if stats:
            last = (
                models.CampaignInspection.objects.filter(campaign=campaign, grid_id=gid)
                .order_by("-date", "-pk")
                .first()
            )
        rows.append(
            {
                "grid": grid,
                "inspections": stats["n"] if stats else 0,
                "score": float(stats["total"] / stats["n"]) if stats else None,
                "rectification": last.rectification if last else "",
                "findings": last.findings if last else "",
                "targets": [
                    {"item": t.item, "unit": t.unit, "target": t.quantity, "done": t.done or 0}
                    for t in mine
                ],
                "targets_met": sum(1 for t in mine if (t.done or 0) >= t.quantity),
                "completion": sum(shares) / len(shares) if shares else None,
            }
        )
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["grid"].code))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def campaign_get(*, user, pk: int | None = None, name: str = "") -> models.Campaign:
    lookup = {"pk": pk} if pk is not None else {"name": name}
    return get_scoped_or_404(models.Campaign.objects.select_related("grid"), reader(user), **lookup)
