"""Metrics (立案率, 按期处置率, 结案率, 按期结案率, 返工率, 满意度, 处置时长, 漏报).

Cases are built through the workflow with explicit times, and every figure is checked against
numbers worked out by hand below (docs/metrics.md has the formulas).
"""

import datetime as dt
import random
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from yemai.cases.choices import Action, Source, State
from yemai.cases.metrics import Percentile, SecondsBetween, case_metrics, percentile_by_window
from yemai.cases.models import Case, Category, Rating
from yemai.cases.rating import rating_save, rating_totals_rebuild
from yemai.cases.services import case_report
from yemai.cases.workflow import case_transition, reporter, system

from .conftest import IN_DONGMEN1, IN_XIMEN1, OUTSIDE

IN_DONGMEN2 = {"lon": 121.21, "lat": 30.23}
START, END = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


def at(day, hour, minute=0):
    """A local time in March 2026 (the 2nd is a Monday)."""
    return timezone.make_aware(dt.datetime(2026, 3, day, hour, minute))


def report(t, when, where=IN_DONGMEN1, source=Source.RESIDENT, category=None, **kw):
    case, _ = case_report(
        source=source,
        category=category or t.stall,
        description="问题",
        reporter_name="" if source == Source.PATROL else "居民",
        now=when,
        **where,
        **kw,
    )
    return case


def step(case, action, who, when, **kw):
    return case_transition(case=case, action=action, actor=who, now=when, **kw).case


def rate(case, score, when, by_phone=False):
    rating_save(Rating(case=case, score=score, fixed="yes", by_phone=by_phone, at=when))


@pytest.fixture
def loop(loop_town):
    """Nine cases in March 2026 and two outside it; the expected figures are worked out in
    the test that uses them."""
    t = loop_town
    m, lead = t.dongmen1_member, t.dongmen1_leader
    c = SimpleNamespace()

    # A: handled within the hour, verified, closed; rated 5.
    c.a = report(t, at(2, 9))
    step(c.a, Action.ACCEPT, m, at(2, 9, 10))
    step(c.a, Action.HANDLE, m, at(2, 10))
    step(c.a, Action.VERIFY, lead, at(2, 11))
    step(c.a, Action.CLOSE, lead, at(2, 11, 30))
    rate(c.a, 5, at(2, 12))

    # B: accepted at 09:05 with 4 working hours to handle (due Monday 14:35), handled on
    # Wednesday at 10:00: late. Closed; rated 2.
    c.b = report(t, at(2, 9))
    step(c.b, Action.ACCEPT, m, at(2, 9, 5))
    step(c.b, Action.HANDLE, m, at(4, 10))
    step(c.b, Action.VERIFY, lead, at(4, 11))
    step(c.b, Action.CLOSE, lead, at(4, 11, 30))
    rate(c.b, 2, at(4, 12))

    # C: found on patrol; handled, sent back for rework, handled again on time, closed;
    # a phone follow-up scores 4.
    c.c = report(t, at(3, 9), source=Source.PATROL, reporter=m)
    step(c.c, Action.ACCEPT, m, at(3, 9, 5))
    step(c.c, Action.HANDLE, m, at(3, 10))
    step(c.c, Action.REWORK, lead, at(3, 11))
    step(c.c, Action.ACCEPT, m, at(3, 13, 40))
    step(c.c, Action.HANDLE, m, at(3, 15))
    step(c.c, Action.VERIFY, lead, at(3, 16))
    step(c.c, Action.CLOSE, lead, at(3, 16, 30))
    rate(c.c, 4, at(3, 17), by_phone=True)

    # D: accepted, never handled: overdue by the time the metrics are computed.
    c.d = report(t, at(5, 9))
    step(c.d, Action.ACCEPT, m, at(5, 9, 5))

    # E: withdrawn by the resident after it was dispatched.
    c.e = report(t, at(5, 9))
    step(c.e, Action.WITHDRAW, reporter("居民"), at(5, 10))

    # F: outside every grid, rejected by the centre.
    c.f = report(t, at(6, 9), where=OUTSIDE)
    step(c.f, Action.REJECT, t.operator, at(6, 10), reject_reason="invalid")

    # G: 西门1, escalated, consulted, referred to 城管, handled on time by the department;
    # its verification ran over (the deadline worker escalated it) before it closed; rated 3.
    c.g = report(t, at(6, 9), where=IN_XIMEN1)
    x = t.ximen1_member
    step(c.g, Action.ACCEPT, x, at(6, 9, 5))
    step(c.g, Action.ESCALATE, x, at(6, 9, 30))
    step(c.g, Action.CONSULT, t.ximen_head, at(6, 10))
    step(c.g, Action.REFER, t.ximen_head, at(6, 10, 15), department=t.chengguan)
    step(c.g, Action.HANDLE, t.liaison, at(6, 11))
    step(c.g, Action.SUPERVISE, system("deadline"), at(9, 16), escalation_level=1)
    step(c.g, Action.VERIFY, t.ximen_head, at(10, 9))
    step(c.g, Action.CLOSE, t.ximen_head, at(10, 9, 30))
    rate(c.g, 3, at(10, 12))

    # H: 12345 hotline, 西门1, another category, still waiting to be accepted.
    c.h = report(t, at(9, 9), where=IN_XIMEN1, source=Source.HOTLINE, category=t.garbage)

    # J: 东门2 has nobody on duty: registered by the centre, then parked.
    c.j = report(t, at(10, 9), where=IN_DONGMEN2)
    step(c.j, Action.REGISTER, t.operator, at(10, 10))
    step(c.j, Action.PARK, t.operator, at(10, 11), park_reason="等待拆迁")

    # Outside the period: February, and the first moment of April (the end is excluded).
    report(t, timezone.make_aware(dt.datetime(2026, 2, 27, 9)))
    report(t, timezone.make_aware(dt.datetime(2026, 4, 1, 0, 0)))
    c.now = timezone.make_aware(dt.datetime(2026, 4, 10, 9))
    return SimpleNamespace(t=t, c=c)


def metrics(loop, user, group_by="total", **kw):
    return case_metrics(user=user, group_by=group_by, start=START, end=END, now=loop.c.now, **kw)


def by_label(rows):
    return {r["label"]: r for r in rows}


def test_the_fixture_cases_are_where_the_expected_figures_assume(loop):
    c = loop.c
    assert [c.a.pk, c.b.pk] and Case.objects.get(pk=c.b.pk).handled_on_time is False
    assert Case.objects.get(pk=c.c.pk).rework_count == 1
    assert Case.objects.get(pk=c.d.pk).state == State.ACCEPTED
    assert Case.objects.get(pk=c.f.pk).grid == loop.t.town
    assert Case.objects.get(pk=c.g.pk).escalation_level == 1
    assert Case.objects.get(pk=c.h.pk).state == State.DISPATCHED
    assert Case.objects.get(pk=c.j.pk).state == State.PARKED


def test_the_town_totals_match_the_formulas(loop):
    (row,) = metrics(loop, loop.t.town_head)
    # Reported in March: A B C D E F G H J.
    assert row["reported"] == 9
    # 立案率: all but F (rejected straight from the queue) were registered.
    assert row["registered"] == 8 and row["registration_rate"] == pytest.approx(8 / 9)
    # 按期处置率: due = handled (A B C G) + overdue and unhandled (D); on time: A C G.
    assert (row["handled"], row["due_to_handle"], row["handled_on_time"]) == (4, 5, 3)
    assert row["on_time_handling_rate"] == pytest.approx(3 / 5)
    # 结案率: due to close = registered, not withdrawn (E), parked (J) or rejected: A B C D G H.
    assert (row["due_to_close"], row["closed"]) == (6, 4)
    assert row["closing_rate"] == pytest.approx(4 / 6)
    # 按期结案率: closed, handled on time, verification not overdue: A and C (not B, not G).
    assert row["closed_on_time"] == 2 and row["on_time_closing_rate"] == pytest.approx(2 / 6)
    # 返工率: C of the four handled.
    assert row["reworked"] == 1 and row["rework_rate"] == pytest.approx(1 / 4)
    # 满意度: 5, 2, 4 (phone), 3.
    assert row["ratings"] == 4
    assert row["satisfaction_mean"] == pytest.approx(3.5)
    assert row["satisfaction_share"] == pytest.approx(2 / 4)
    # Handling time, reported → handled: A 1 h, B 49 h, C 6 h (the last handling), G 2 h.
    assert row["handling_hours_mean"] == pytest.approx((1 + 49 + 6 + 2) / 4)
    # p90 of [1, 2, 6, 49]: position 0.9 × 3 = 2.7 → 6 + 0.7 × (49 − 6).
    assert row["handling_hours_p90"] == pytest.approx(6 + 0.7 * 43)
    # 漏报: 东门1 was patrolled (C); residents reported A B D E there. 西门1 was not.
    assert (row["patrol_found"], row["missed"]) == (1, 4)
    assert row["missed_rate"] == pytest.approx(4 / 5)


def test_per_grid_the_villages_and_the_centres_queue(loop):
    rows = metrics(loop, loop.t.town_head, "grid")
    assert [r["label"] for r in rows] == ["宗汉街道 itself", "东门社区", "西门村"]
    queue, dongmen, ximen = rows
    assert (queue["key"], queue["reported"], queue["registered"]) == (None, 1, 0)
    assert dongmen["key"] == loop.t.dongmen.pk
    assert (dongmen["reported"], dongmen["registered"], dongmen["closed"]) == (6, 6, 3)
    assert dongmen["due_to_close"] == 4  # A B C D (E withdrawn, J parked)
    assert dongmen["handling_hours_p90"] == pytest.approx(6 + 0.8 * 43)  # [1, 6, 49]
    assert dongmen["missed"] == 4 and dongmen["satisfaction_mean"] == pytest.approx(11 / 3)
    assert (ximen["reported"], ximen["handled"], ximen["closed_on_time"]) == (2, 1, 0)
    assert ximen["handling_hours_mean"] == pytest.approx(2) and ximen["missed"] == 0
    assert ximen["satisfaction_mean"] == pytest.approx(3)


def test_a_village_head_sees_the_micro_grids_of_the_village_only(loop):
    rows = by_label(metrics(loop, loop.t.dongmen_head, "grid"))
    assert set(rows) == {"东门社区第1微网格", "东门社区第2微网格"}
    assert rows["东门社区第1微网格"]["reported"] == 5
    assert rows["东门社区第2微网格"]["reported"] == 1
    assert rows["东门社区第2微网格"]["due_to_close"] == 0
    (total,) = metrics(loop, loop.t.dongmen_head)
    assert total["reported"] == 6


def test_any_node_in_scope_may_be_broken_down_but_not_one_outside(loop):
    rows = by_label(metrics(loop, loop.t.town_head, "grid", node=loop.t.ximen))
    assert rows["西门村第1微网格"]["reported"] == 2 and rows["西门村第2微网格"]["reported"] == 0
    with pytest.raises(Http404):
        metrics(loop, loop.t.dongmen_head, "grid", node=loop.t.ximen)


def test_per_member_department_and_category(loop):
    t = loop.t
    members = {r["key"]: r for r in metrics(loop, t.town_head, "member")}
    assert members[t.dongmen1_member.pk]["reported"] == 5  # A B C D E
    assert members[t.dongmen1_member.pk]["on_time_handling_rate"] == pytest.approx(2 / 4)
    assert members[t.ximen1_member.pk]["reported"] == 2  # G H
    assert members[None]["reported"] == 2 and members[None]["label"] == "(nobody)"  # F J

    departments = {r["key"]: r for r in metrics(loop, t.town_head, "department")}
    assert departments[t.chengguan.pk]["label"] == "城管中队"
    assert departments[t.chengguan.pk]["reported"] == 1
    assert departments[t.chengguan.pk]["handled_on_time"] == 1
    assert departments[None]["reported"] == 8

    categories = {r["key"]: r for r in metrics(loop, t.town_head, "category")}
    assert categories[t.stall.pk]["reported"] == 8
    assert categories[t.stall.pk]["label"] == "街面秩序 / 占道经营"
    assert categories[t.garbage.pk]["reported"] == 1
    assert categories[t.garbage.pk]["due_to_handle"] == 0


def test_a_department_liaison_counts_only_the_departments_cases(loop):
    (row,) = metrics(loop, loop.t.liaison)
    assert row["reported"] == 1 and row["closed"] == 1 and row["ratings"] == 1


def test_a_member_sees_the_own_micro_grid(loop):
    rows = metrics(loop, loop.t.ximen1_member, "grid")
    assert [(r["label"], r["reported"]) for r in rows] == [("西门村第1微网格 itself", 2)]


def test_an_empty_period_gives_zeros_and_no_rates(loop):
    rows = case_metrics(
        user=loop.t.town_head, group_by="grid", start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 1)
    )
    assert [r["reported"] for r in rows] == [0, 0]
    assert rows[0]["registration_rate"] is None and rows[0]["handling_hours_p90"] is None


def test_bad_arguments_are_refused(loop):
    with pytest.raises(ValidationError):
        metrics(loop, loop.t.town_head, "street")
    with pytest.raises(ValidationError):
        case_metrics(user=loop.t.town_head, group_by="total", start=END, end=START)


# --- The 90th percentile: PostgreSQL's percentile_cont and the window method agree ------------


def reference_percentile(values, fraction=0.9):
    values = sorted(values)
    pos = fraction * (len(values) - 1)
    low = int(pos // 1)
    if low + 1 >= len(values):
        return values[low]
    return values[low] + (pos - low) * (values[low + 1] - values[low])


@pytest.fixture
def many(loop_town):
    """60 cases in two micro-grids with handling times of random seconds."""
    rng = random.Random(7)
    base = at(2, 9)
    for i in range(60):
        where = IN_DONGMEN1 if i % 3 else IN_XIMEN1
        case = report(loop_town, base + dt.timedelta(minutes=i), where=where)
        seconds = rng.randint(60, 400_000) + rng.choice([0, 0.5, 0.123])
        Case.objects.filter(pk=case.pk).update(
            handled_at=case.reported_at + dt.timedelta(seconds=seconds)
        )
    return loop_town


def test_the_window_percentile_matches_percentile_cont(many):
    cases = Case.objects.filter(handled_at__isnull=False)
    seconds = SecondsBetween(F("handled_at"), F("reported_at"))
    window = percentile_by_window(cases, F("grid_id"), seconds)
    expected = {}
    for grid_id in {c.grid_id for c in cases}:
        values = [
            (c.handled_at - c.reported_at).total_seconds() for c in cases.filter(grid_id=grid_id)
        ]
        expected[grid_id] = reference_percentile(values)
    assert window.keys() == expected.keys()
    for grid_id, value in expected.items():
        assert window[grid_id] == pytest.approx(value, abs=1e-3)
    if connection.vendor == "postgresql":
        native = dict(
            cases.order_by()
            .values("grid_id")
            .annotate(p=Percentile(seconds, 0.9))
            .values_list("grid_id", "p")
        )
        assert native == window  # the same arithmetic, to the last bit


def test_the_metrics_p90_is_the_same_whichever_method(many):
    rows = by_label(
        case_metrics(user=many.town_head, group_by="grid", start=START, end=END, node=many.town)
    )
    cases = Case.objects.select_related("grid__parent")
    for village in ("东门社区", "西门村"):
        values = [
            (c.handled_at - c.reported_at).total_seconds() / 3600
            for c in cases
            if c.grid.parent and c.grid.parent.name == village
        ]
        assert rows[village]["handling_hours_p90"] == pytest.approx(
            reference_percentile(values), rel=1e-9
        )


def test_the_categories_fixture_is_what_the_tests_assume(loop_town):
    assert Category.objects.get(code="0203").priority == 3  # working-time clocks


def test_the_command_prints_the_metrics_per_village(loop, capsys):
    from django.core.management import call_command

    call_command(
        "cases", "metrics", "--as", "town_head", "--start", "2026-03-01", "--end", "2026-04-01"
    )
    out = capsys.readouterr().out
    assert "立案率" in out and "东门社区" in out and "西门村" in out
    assert "100.0%" in out  # 东门社区's 立案率: 6 of 6
    call_command("cases", "metrics", "--by", "total", "--json", "--start", "2026-03-01",
                 "--end", "2026-04-01")  # fmt: skip
    assert '"reported": 9' in capsys.readouterr().out


def test_each_case_carries_the_totals_of_its_ratings(loop):
    """The metrics read satisfaction from the totals on each case: they must equal the ratings
    (the loop's cases are rated through rating_save; a rebuild from the rows changes nothing)."""
    from django.db.models import Count, Q, Sum

    def totals():
        return {
            c["pk"]: (c["ratings_count"], c["ratings_score_sum"], c["ratings_satisfied"])
            for c in Case.objects.values(
                "pk", "ratings_count", "ratings_score_sum", "ratings_satisfied"
            )
        }

    kept = totals()
    counted = {
        row["case"]: (row["n"], row["s"], row["ok"])
        for row in Rating.objects.values("case").annotate(
            n=Count("id"), s=Sum("score"), ok=Count("id", filter=Q(score__gte=4))
        )
    }
    assert counted and {pk: t for pk, t in kept.items() if t != (0, 0, 0)} == counted
    Case.objects.update(ratings_count=0, ratings_score_sum=0, ratings_satisfied=0)
    rating_totals_rebuild()
    assert totals() == kept
