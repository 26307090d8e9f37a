"""Metrics of the closed loop (考核指标), computed in SQL: docs/metrics.md has the formulas.

``case_metrics`` counts the cases *reported* in a period (``start`` ≤ reported_at < ``end``)
inside the user's scope, grouped by grid node, member (the assignee), department, category or
not at all, in the state they are in when the metrics are computed (``now``). Every count is a
conditional aggregate (``COUNT(*) FILTER (WHERE …)``) over one scan of the cases table, the
ratings included (each case carries its ratings' totals, kept by ``rating.rating_save``); the
90th percentile takes a second query. The scope is a list of grid ids,
not a join with the grid table by path (the planner then estimates the rows from the cases' own
statistics), and grouping by grid node groups by the case's micro-grid in SQL and adds the rows
up per child of the node in Python (a few hundred rows), so no expression is evaluated per case
for it.

The percentile: SQLite has no ``percentile_cont`` and gets a window query
(``percentile_by_window``). On PostgreSQL a grouped ``percentile_cont`` sorts the whole scan by
group and then every group again; ``percentiles_by_threshold`` sorts only the top of each group
(a threshold per group from a 2 % sample of the table's pages, the positions from the handled
counts of the first query) and is exact whatever the sample. The three methods give the same
number (tests/cases/test_metrics.py and test_metrics_percentile.py check it). On PostgreSQL the
queries share one REPEATABLE READ snapshot when ``case_metrics`` opens the transaction, so the
counts the percentile relies on are those of the cases it reads.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core.scoping import get_scoped_or_404
from yemai.grids.models import GridNode

from .choices import OPEN_STATES, Clock, Source, State
from .models import Case

GROUPS = ("grid", "member", "department", "category", "total")
P90 = 0.9
RESIDENT_SOURCES = (Source.RESIDENT, Source.HOTLINE)  # 群众上报: portal, QR code, 12345
NOT_DUE_TO_CLOSE = (State.WITHDRAWN, State.PARKED, State.REJECTED)


# --- SQL expressions --------------------------------------------------------------------------


class SecondsBetween(Func):
    """``end - start`` in seconds, as a double, on SQLite and PostgreSQL."""

    output_field = FloatField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL and the others
        return super().as_sql(
            compiler,
            connection,
            template="DATE_PART('epoch', %(expressions)s)",  # a double (EXTRACT gives numeric)
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps time to the millisecond: round away the float noise of julianday.
        return super().as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",
            arg_joiner=") - julianday(",
            **extra,
        )


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``: linear interpolation."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


# --- The period, the scope and the grouping -------------------------------------------------


def _moment(value, name: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, dt.date):
        return timezone.make_aware(dt.datetime.combine(value, dt.time.min))
    raise ValidationError({name: [_("Give a date or a date and time")]})


def _node_and_prefix(user, node) -> tuple[GridNode | None, str]:
    if node is not None:
        node = get_scoped_or_404(GridNode.objects, user, pk=getattr(node, "pk", node))
        return node, node.path
    scope = getattr(user, "scope", None) if user is not None else None
    if scope is not None and not getattr(user, "is_unrestricted", False):
        return scope, scope.path
    return None, "/"  # unrestricted: the whole installation, grouped by town


def _grids_under(user, prefix: str) -> dict[int, int | None]:
    """Every grid node under ``prefix`` in the user's scope → the child of the prefix's node it
    lies under (``None``: the node itself). A few hundred rows for a town."""
    nodes = GridNode.objects.all() if user is None else GridNode.objects.restrict(user)
    under = {}
    for pk, path in nodes.filter(path__startswith=prefix).values_list("pk", "path"):
        head = path[len(prefix) :].split("/", 1)[0]
        under[pk] = int(head) if head else None
    return under


def _key(group_by: str):
    """The SQL expression a case is grouped by. For ``grid`` it is the case's own grid: the
    counts are rolled up to the node's children afterwards, on a few hundred aggregated rows
    (``_rollup``), not by an expression evaluated on each of a million cases."""
    if group_by == "grid":
        return F("grid_id")
    if group_by == "member":
        return F("assignee_id")
    if group_by == "department":
        return F("department_id")
    if group_by == "category":
        return F("category_id")
    return Value(0, output_field=IntegerField())


def _rollup(rows: dict, grids: dict) -> dict:
    """Add up per-grid rows of counts and sums into rows per child of the node."""
    out: dict = {}
    for grid_id, row in rows.items():
        child = grids.get(grid_id)
        into = out.setdefault(child, dict.fromkeys(row, 0))
        for name, value in row.items():
            if value is not None:
                into[name] = (into[name] or 0) + value
    return out


def _cases(user, grids: dict, start, end):
    ids = sorted(grids)
    qs = (
        Case.objects.filter(grid_id__in=ids)
        if user is None
        else Case.objects.restrict(user, grid_ids=ids)
    )
    return qs.filter(reported_at__gte=start, reported_at__lt=end)


def _aggregates(*, now) -> dict:
    """Conditional counts per (group, micro-grid); ``_counts`` adds them up per group."""
    handled = Q(handled_at__isnull=False)
    seconds = SecondsBetween(F("handled_at"), F("reported_at"))
    return {
        "reported": Count("id"),
        "registered": Count("id", filter=Q(registered_at__isnull=False)),
        "handled": Count("id", filter=handled),
        "overdue_unhandled": Count(
            "id",
            filter=Q(
                handled_at__isnull=True,
                state__in=sorted(OPEN_STATES),
                clock=Clock.HANDLE,
                due_at__lt=now,
            ),
        ),
        # (not named like the column: an alias equal to a field name confuses the ORM)
        "on_time_handled": Count("id", filter=Q(handled_on_time=True)),
        "due_to_close": Count(
            "id", filter=Q(registered_at__isnull=False) & ~Q(state__in=NOT_DUE_TO_CLOSE)
        ),
        "closed": Count("id", filter=Q(state=State.CLOSED)),
        "closed_on_time": Count(
            "id", filter=Q(state=State.CLOSED, handled_on_time=True, escalation_level=0)
        ),
        "reworked": Count("id", filter=Q(rework_count__gt=0)),
        "handling_seconds_sum": Sum(seconds, filter=handled),
        "patrol_found": Count("id", filter=Q(source=Source.PATROL)),
        "from_residents": Count("id", filter=Q(source__in=RESIDENT_SOURCES)),
        # The ratings' totals kept on each case (a case rated twice counts twice).
        "rated": Sum("ratings_count"),
        "score_sum": Sum("ratings_score_sum"),
        "satisfied": Sum("ratings_satisfied"),
    }


RATING_SUMS = ("rated", "score_sum", "satisfied")


def _counts(cases, key, now) -> dict:
    """Every count per group in one scan of the cases.

    The inner query (Django's) counts per group *and micro-grid*; the outer one adds those up
    per group, and a window over the micro-grids tells which were patrolled in the period (any
    patrol case there, in any group), for 漏报. No subquery per row: PostgreSQL can run the scan
    and the inner aggregation in parallel workers.
    """
    aggregates = _aggregates(now=now)
    inner = cases.annotate(_g=key).order_by().values("_g", "grid_id").annotate(**aggregates)
    sql, params = inner.query.sql_with_params()
    names = [n for n in aggregates if n != "handling_seconds_sum"]
    sums = ", ".join(f"CAST(SUM(u.{n}) AS BIGINT) AS {n}" for n in names)
    query = f"""
        SELECT u._g, {sums},
               SUM(u.handling_seconds_sum) AS handling_seconds_sum,
               CAST(COALESCE(SUM(u.from_residents) FILTER (WHERE u.grid_patrol > 0), 0)
                    AS BIGINT) AS missed
        FROM (
            SELECT t.*, SUM(t.patrol_found) OVER (PARTITION BY t.grid_id) AS grid_patrol
            FROM ({sql}) AS t
        ) AS u
        GROUP BY u._g
    """  # noqa: S608 — the inner SQL is Django's, its values are parameters
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return {row.pop("_g"): row for row in rows}


def _with_means(counts: dict) -> dict:
    for row in counts.values():
        handled, total = row["handled"], row.pop("handling_seconds_sum", None)
        row["handling_seconds_mean"] = total / handled if handled and total is not None else None
    return counts


def percentile_by_window(queryset, key, value, fraction: float = P90) -> dict:
    """``percentile_cont`` per group for databases without it, with window functions.

    The same arithmetic as PostgreSQL's: position ``p·(n−1)`` in the sorted values, linear
    interpolation between the two values around it, in double precision.
    """
    inner = queryset.annotate(_g=key, _x=value).order_by().values_list("_g", "_x")
    sql, params = inner.query.sql_with_params()
    floor = (
        "CAST(pos AS INTEGER)" if connection.vendor == "sqlite" else "CAST(FLOOR(pos) AS INTEGER)"
    )
    query = f"""
        SELECT g, lo + COALESCE(frac * (hi - lo), 0) FROM (
            SELECT g,
                   MAX(CASE WHEN rn = fl THEN x END) AS lo,
                   MAX(CASE WHEN rn = fl + 1 THEN x END) AS hi,
                   MAX(pos - fl) AS frac
            FROM (
                SELECT g, x, rn, pos, {floor} AS fl FROM (
                    SELECT t._g AS g, t._x AS x,
                           ROW_NUMBER() OVER (PARTITION BY t._g ORDER BY t._x) - 1 AS rn,
                           CAST(%s AS DOUBLE PRECISION)
                               * (COUNT(*) OVER (PARTITION BY t._g) - 1) AS pos
                    FROM ({sql}) AS t
                    WHERE t._x IS NOT NULL
                ) AS ranked
            ) AS placed
            GROUP BY g
        ) AS bounds
    """  # noqa: S608 — the inner SQL is Django's, its values are parameters
    with connection.cursor() as cursor:
        cursor.execute(query, [fraction, *params])
        return dict(cursor.fetchall())


def _labels(group_by: str, node: GridNode | None, keys) -> dict:
    keys = [k for k in keys if k is not None]
    if group_by == "grid":
        return {g.pk: g.name for g in GridNode.objects.filter(pk__in=keys)}
    if group_by == "member":
        from yemai.accounts.models import User  # noqa: PLC0415

        return {u.pk: (u.get_full_name() or u.username) for u in User.objects.filter(pk__in=keys)}
    if group_by == "department":
        from yemai.grids.models import Department  # noqa: PLC0415

        return {d.pk: d.name for d in Department.objects.filter(pk__in=keys)}
    if group_by == "category":
        from .models import Category  # noqa: PLC0415

        return {c.pk: str(c) for c in Category.objects.filter(pk__in=keys).select_related("parent")}
    return {}


def _ratio(numerator, denominator):
    return None if not denominator else numerator / denominator


def _hours(seconds):
    return None if seconds is None else seconds / 3600


def _row(key, label, counts: dict, ratings: dict, p90) -> dict:
    due_to_handle = counts["handled"] + counts["overdue_unhandled"]
    rated = ratings.get("rated", 0)
    return {
        "key": key,
        "label": label,
        "reported": counts["reported"],
        "registered": counts["registered"],
        "registration_rate": _ratio(counts["registered"], counts["reported"]),  # 立案率
        "handled": counts["handled"],
        "due_to_handle": due_to_handle,
        "handled_on_time": counts["on_time_handled"],
        "on_time_handling_rate": _ratio(counts["on_time_handled"], due_to_handle),  # 按期处置率
        "due_to_close": counts["due_to_close"],
        "closed": counts["closed"],
        "closing_rate": _ratio(counts["closed"], counts["due_to_close"]),  # 结案率
        "closed_on_time": counts["closed_on_time"],
        "on_time_closing_rate": _ratio(counts["closed_on_time"], counts["due_to_close"]),
        "reworked": counts["reworked"],
        "rework_rate": _ratio(counts["reworked"], counts["handled"]),  # 返工率
        "ratings": rated,
        "satisfaction_mean": ratings.get("mean"),  # 满意度 (1–5)
        "satisfaction_share": _ratio(ratings.get("satisfied", 0), rated),  # 4–5 分占比
        "handling_hours_mean": _hours(counts["handling_seconds_mean"]),
        "handling_hours_p90": _hours(p90),
        "patrol_found": counts["patrol_found"],
        "missed": counts["missed"],  # 漏报
        "missed_rate": _ratio(counts["missed"], counts["missed"] + counts["patrol_found"]),
    }


EMPTY = {
    "reported": 0,
    "registered": 0,
    "handled": 0,
    "overdue_unhandled": 0,
    "on_time_handled": 0,
    "due_to_close": 0,
    "closed": 0,
    "closed_on_time": 0,
    "reworked": 0,
    "handling_seconds_mean": None,
    "patrol_found": 0,
    "missed": 0,
}


# The PostgreSQL percentile reads only the top of each group (see ``percentiles_by_threshold``).
SAMPLE_PERCENT = 2  # TABLESAMPLE SYSTEM: the share of the table's pages read for the thresholds
SAMPLE_QUANTILE = 0.8  # each group's threshold: this quantile of its sampled values …
SAMPLE_MIN = 30  # … when at least this many were sampled (else the group is read whole)
NO_GROUP = -1  # stands for the NULL key (nobody, no department, the node itself) in the joins


def percentiles_by_threshold(
    queryset, key, value, counts: dict, fraction: float = P90, grids=None
) -> dict:
    """PostgreSQL: the exact ``percentile_cont`` per group, sorting only the top of each group.

    ``counts``: group → number of values (the handled count of ``_counts``), so the 0-based
    positions ``⌊p·(n−1)⌋`` and the next one are known before the values are read. A sample of
    about ``SAMPLE_PERCENT`` % of the table's pages gives each group a threshold below its 90th
    percentile (the sample's ``SAMPLE_QUANTILE``); one scan, parallel, keeps the values at or
    above the threshold (a third or less), ranks them per group, and the rank of a kept value in
    the whole group is its rank among the kept ones plus ``n − kept``. A group whose threshold
    proves too high (fewer than ``n − ⌊p·(n−1)⌋`` values kept: the sample was unlucky) is
    computed again whole. The sample only makes the scan cheaper: the result is exact, the
    same arithmetic as ``percentile_cont`` (``first + proportion × (second − first)``).

    ``grids`` (micro-grid id → child of the node): ``key`` is then the case's grid and the
    groups are the children, mapped by a join with two arrays (no expression per case).
    """
    wanted = {g: n for g, n in counts.items() if n}
    if not wanted:
        return {}
    inner = queryset.annotate(_g=key, _x=value).order_by().values_list("_g", "_x")
    sql, params = inner.query.sql_with_params()
    code = {g: NO_GROUP if g is None else g for g in wanted}  # group → its number in SQL
    if grids is None:
        mapping = {c: c for c in code.values()}  # the case's key is the group
    else:
        mapping = {grid: code[child] for grid, child in grids.items() if child in code}
    thresholds = _sample_thresholds(sql, params, mapping)
    result, retry = _percentiles_above(sql, params, mapping, code, wanted, thresholds, fraction)
    if retry:  # a threshold above the percentile: read those groups whole
        only = {k: c for k, c in mapping.items() if c in retry}
        again, _ = _percentiles_above(sql, params, only, code, wanted, {}, fraction)
        result.update(again)
    return result


def _sample_thresholds(sql: str, params, mapping: dict) -> dict:
    """Group number → the ``SAMPLE_QUANTILE`` of its values in a sample of the table's pages."""
    table = 'FROM "cases_case"'
    if table not in sql or not SAMPLE_PERCENT:
        return {}
    sample = sql.replace(
        table, f"{table} TABLESAMPLE SYSTEM ({float(SAMPLE_PERCENT)}) REPEATABLE (0)", 1
    )
    query = f"""
        SELECT m.code, PERCENTILE_DISC(%s) WITHIN GROUP (ORDER BY t._x)
        FROM ({sample}) AS t
        JOIN UNNEST(%s::bigint[], %s::bigint[]) AS m(k, code)
            ON m.k = COALESCE(t._g, {NO_GROUP})
        WHERE t._x IS NOT NULL
        GROUP BY m.code
        HAVING COUNT(*) >= %s
    """  # noqa: S608 — the inner SQL is Django's, its values are parameters
    keys = list(mapping)
    with connection.cursor() as cursor:
        cursor.execute(
            query, [SAMPLE_QUANTILE, *params, keys, [mapping[k] for k in keys], SAMPLE_MIN]
        )
        return dict(cursor.fetchall())


def _percentiles_above(sql, params, mapping, code, wanted, thresholds, fraction):
    """One scan: per group, the values at positions ⌊p·(n−1)⌋ and the next among those at or
    above the group's threshold, interpolated; and the groups whose threshold was too high."""
    groups = list(wanted)
    positions = [fraction * (wanted[g] - 1) for g in groups]  # as percentile_cont: a double
    keys = list(mapping)
    mapped = [keys, [mapping[k] for k in keys], [thresholds.get(mapping[k]) for k in keys]]
    if len(keys) == 1:  # one group (the total): constants, not a function called per case
        source = "(VALUES (%s::bigint, %s::bigint, %s::double precision))"
        mapped = [column[0] for column in mapped]
    else:
        source = "UNNEST(%s::bigint[], %s::bigint[], %s::double precision[])"
    query = f"""
        WITH kept AS (
            SELECT m.code, t._x AS x
            FROM ({sql}) AS t
            JOIN {source} AS m(k, code, low) ON m.k = COALESCE(t._g, {NO_GROUP})
            WHERE t._x IS NOT NULL AND (m.low IS NULL OR t._x >= m.low)
        ), sorted AS (
            SELECT code, ARRAY_AGG(x ORDER BY x) AS xs FROM kept GROUP BY code
        )
        SELECT w.code, w.pos, w.n - CARDINALITY(s.xs) AS below,
               s.xs[w.first - (w.n - CARDINALITY(s.xs)) + 1] AS lo,
               s.xs[w.first - (w.n - CARDINALITY(s.xs)) + 2] AS hi
        FROM sorted AS s
        JOIN UNNEST(%s::bigint[], %s::bigint[], %s::double precision[], %s::bigint[])
            AS w(code, n, pos, first) ON w.code = s.code
    """  # noqa: S608 — the inner SQL is Django's, its values are parameters
    args = [
        *params,
        *mapped,
        [code[g] for g in groups],
        [wanted[g] for g in groups],
        positions,
        [int(p // 1) for p in positions],
    ]
    back = {c: g for g, c in code.items()}
    result, retry = {}, set()
    with connection.cursor() as cursor:
        cursor.execute(query, args)
        for c, pos, below, lo, hi in cursor.fetchall():
            first = int(pos // 1)
            if lo is None or below > first:
                retry.add(c)
                continue
            # percentile_cont: the value at ⌊pos⌋, or the interpolation with the next one.
            result[back[c]] = lo if hi is None or pos == first else lo + (pos - first) * (hi - lo)
    return result, retry


def _handled(counts: dict) -> dict:
    """Group → its number of handled cases: the values the percentile is taken over."""
    return {g: row["handled"] for g, row in counts.items()}


def _figures(cases, group_by, grids, now, postgres):
    """Counts with the rating figures, and the 90th percentile, per group key: two queries (on
    PostgreSQL a third, small: the sample that sets the percentile's thresholds)."""
    key = _key(group_by)
    counts = _counts(cases, key, now)
    # The ratings come from the same scan: each case carries its ratings' totals.
    ratings = {}
    for group, row in counts.items():
        sums = {name: row.pop(name) or 0 for name in RATING_SUMS}
        if sums["rated"]:
            ratings[group] = sums
    handled = cases.filter(handled_at__isnull=False)
    seconds = SecondsBetween(F("handled_at"), F("reported_at"))
    if group_by == "grid":
        counts, ratings = _rollup(counts, grids), _rollup(ratings, grids)
        if postgres:
            p90 = percentiles_by_threshold(
                handled, F("grid_id"), seconds, _handled(counts), grids=grids
            )
        else:
            child = DbCase(
                *[When(grid_id=g, then=Value(c)) for g, c in grids.items() if c is not None],
                default=Value(None),
                output_field=IntegerField(),
            )
            p90 = percentile_by_window(handled, child, seconds)
    elif postgres:
        p90 = percentiles_by_threshold(handled, key, seconds, _handled(counts))
    else:
        p90 = percentile_by_window(handled, key, seconds)
    for row in ratings.values():
        row["mean"] = row.pop("score_sum") / row["rated"] if row["rated"] else None
    if group_by == "total":  # a constant key may come back as 0 or "0"
        only = lambda d: {0: next(iter(d.values()))} if d else {}  # noqa: E731
        counts, ratings, p90 = only(counts), only(ratings), only(p90)
    return _with_means(counts), ratings, p90


def case_metrics(
    *, user, group_by: str, start, end, node: GridNode | None = None, now=None
) -> list[dict]:
    """The metrics of cases reported in [start, end) in the user's scope, one dict per group.

    ``group_by``: ``grid`` (the children of ``node``, or of the user's scope node; every child
    is listed, with zeros if it had no case; cases of the node itself, such as the centre's
    queue, form a group with key ``None``), ``member`` (assignee; ``None``: nobody),
    ``department`` (the department the case was passed to; ``None``: none), ``category``
    (subcategory) or ``total``. ``node`` must be inside the scope (else 404). ``user=None`` is
    the unrestricted set-up context (command line). Rates are fractions (0–1) or None when
    nothing was due; durations are wall-clock hours.
    """
    if group_by not in GROUPS:
        raise ValidationError(
            {"group_by": [_("Group by one of %(groups)s") % {"groups": ", ".join(GROUPS)}]}
        )
    start, end = _moment(start, "start"), _moment(end, "end")
    if end <= start:
        raise ValidationError({"end": [_("The period must end after it starts")]})
    now = now or timezone.now()
    node, prefix = _node_and_prefix(user, node)
    grids = _grids_under(user, prefix)
    cases = _cases(user, grids, start, end)
    postgres = connection.vendor == "postgresql"

    if postgres:
        # The percentile sorts the top of each group: give it the memory to sort in RAM rather
        # than on disk, for this transaction only; and no JIT, whose compile time these
        # queries do not win back.
        outermost = not connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            if outermost:  # one snapshot for the three queries (the percentile uses the counts)
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(
                "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
                [getattr(settings, "CASE_METRICS_WORK_MEM", "64MB")],
            )
            counts, ratings, p90 = _figures(cases, group_by, grids, now, postgres)
    else:
        counts, ratings, p90 = _figures(cases, group_by, grids, now, postgres)
    if group_by == "total" and not counts:
        counts = {0: EMPTY}

    keys = list(counts)
    if group_by == "grid":
        children = (
            GridNode.objects.filter(parent=node) if node else GridNode.objects.filter(parent=None)
        )
        keys += list(children.order_by("code").values_list("pk", flat=True))
    keys = list(dict.fromkeys(keys))
    labels = _labels(group_by, node, keys)
    result = [
        _row(
            k,
            labels.get(k) or _no_label(group_by, node, k),
            counts.get(k, EMPTY),
            ratings.get(k, {}),
            p90.get(k),
        )
        for k in keys
    ]
    if group_by == "grid":
        # The node's own cases (the centre's queue) first, then the children by code.
        codes = dict(
            GridNode.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "code")
        )
        result.sort(key=lambda r: (r["key"] is not None, codes.get(r["key"], "")))
    elif group_by != "total":
        result.sort(key=lambda r: (r["key"] is None, str(r["label"])))
    return result


def _no_label(group_by: str, node, key) -> str:
    if group_by == "grid":
        return _("%(name)s itself") % {"name": node.name} if node else _("Outside every town")
    if group_by == "member":
        return _("(nobody)")
    if group_by == "department":
        return _("(no department)")
    return _("All") if group_by == "total" else str(key)
