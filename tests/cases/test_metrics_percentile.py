"""PostgreSQL's 90th percentile of handling time read from the top of each group only.

``percentiles_by_threshold`` takes a threshold per group from a sample of the table, sorts only
the values at or above it and reads the whole group again when the sample set the threshold too
high. Whatever the sample, the number must be ``percentile_cont``'s to the last bit: these tests
force each path (no threshold, a threshold, a threshold above the percentile) and compare.
"""

import datetime as dt
import random

import pytest
from django.db import connection
from django.db.models import F, IntegerField, Value
from django.utils import timezone

from yemai.cases import metrics
from yemai.cases.metrics import Percentile, SecondsBetween, case_metrics, percentiles_by_threshold
from yemai.cases.models import Case
from yemai.cases.services import case_report

from .conftest import IN_DONGMEN1, IN_XIMEN1

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's percentile method"
)

START, END = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
SECONDS = SecondsBetween(F("handled_at"), F("reported_at"))


@pytest.fixture
def handled(loop_town):
    """90 cases in two micro-grids: random handling times with ties, some not handled, some
    with nobody assigned (the NULL group)."""
    rng = random.Random(11)
    base = timezone.make_aware(dt.datetime(2026, 3, 2, 9))
    for i in range(90):
        where = IN_DONGMEN1 if i % 3 else IN_XIMEN1
        case, _ = case_report(
            source="resident",
            category=loop_town.stall,
            description="问题",
            reporter_name="居民",
            now=base + dt.timedelta(minutes=i),
            **where,
        )
        seconds = rng.choice([3600, 7200, rng.randint(60, 900_000) + rng.choice([0, 0.25])])
        changes = {"handled_at": case.reported_at + dt.timedelta(seconds=seconds)}
        if i % 10 == 0:
            changes = {"handled_at": None}
        if i % 7 == 0:
            changes["assignee"] = None
        Case.objects.filter(pk=case.pk).update(**changes)
    return loop_town


def native(queryset, key):
    """percentile_cont per group, PostgreSQL's own aggregate."""
    return dict(
        queryset.annotate(_g=key)
        .order_by()
        .values("_g")
        .annotate(p=Percentile(SECONDS, 0.9))
        .values_list("_g", "p")
    )


def handled_counts(queryset, key):
    rows = queryset.annotate(_g=key).order_by().values_list("_g").annotate(n=F("_g"))
    counts = {}
    for g, _ in rows:
        counts[g] = counts.get(g, 0) + 1
    return counts


SAMPLES = {
    "no sample": (0, 0.8),
    "every page, threshold below the percentile": (100, 0.8),
    "every page, the smallest value": (100, 0.0),
    "every page, threshold above the percentile": (100, 0.99),
}


@pytest.mark.parametrize("sample", SAMPLES, ids=list(SAMPLES))
@pytest.mark.parametrize("group", ["grid", "member", "total"])
def test_the_percentile_is_percentile_cont_whatever_the_sample(handled, monkeypatch, sample, group):
    percent, quantile = SAMPLES[sample]
    monkeypatch.setattr(metrics, "SAMPLE_PERCENT", percent)
    monkeypatch.setattr(metrics, "SAMPLE_QUANTILE", quantile)
    monkeypatch.setattr(metrics, "SAMPLE_MIN", 1)
    key = {
        "grid": F("grid_id"),
        "member": F("assignee_id"),
        "total": Value(0, output_field=IntegerField()),
    }[group]
    cases = Case.objects.filter(handled_at__isnull=False)
    expected = native(cases, key)
    assert len(expected) >= (2 if group != "total" else 1)
    counts = handled_counts(cases, key)
    got = percentiles_by_threshold(cases, key, SECONDS, counts)
    assert got == expected  # to the last bit


def test_a_threshold_above_the_percentile_reads_the_group_again(handled, monkeypatch):
    """The retry path gives the same numbers through case_metrics, per village."""
    monkeypatch.setattr(metrics, "SAMPLE_MIN", 1)
    monkeypatch.setattr(metrics, "SAMPLE_PERCENT", 0)
    plain = case_metrics(user=handled.town_head, group_by="grid", start=START, end=END)
    monkeypatch.setattr(metrics, "SAMPLE_PERCENT", 100)
    monkeypatch.setattr(metrics, "SAMPLE_QUANTILE", 0.99)
    retried = case_metrics(user=handled.town_head, group_by="grid", start=START, end=END)
    assert [r["handling_hours_p90"] for r in retried] == [r["handling_hours_p90"] for r in plain]
    cases = Case.objects.filter(handled_at__isnull=False).select_related("grid__parent")
    for row in plain:
        values = sorted(
            (c.handled_at - c.reported_at).total_seconds()
            for c in cases
            if c.grid.parent_id == row["key"]
        )
        if not values:
            assert row["handling_hours_p90"] is None
            continue
        pos = 0.9 * (len(values) - 1)
        low = int(pos)
        high = values[min(low + 1, len(values) - 1)]
        expected = values[low] + (pos - low) * (high - values[low])
        assert row["handling_hours_p90"] == pytest.approx(expected / 3600, rel=1e-12)


def test_groups_without_a_handled_case_have_no_percentile(handled):
    cases = Case.objects.filter(handled_at__isnull=False)
    assert percentiles_by_threshold(cases, F("grid_id"), SECONDS, {}) == {}
    got = percentiles_by_threshold(cases, F("grid_id"), SECONDS, {999_999: 0})
    assert got == {}
