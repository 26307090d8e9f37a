"""Writes of the closed loop that are not a single transition: intake, categories.

Each stage's actions live in their own modules (``workflow`` is the one door for state
changes); this module takes a problem in (上报), routes it and starts it on its way.
"""

from __future__ import annotations

import copy
import math
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core import statements
from yemai.core.refcache import ReferenceCache
from yemai.core.validators import normalize_mobile
from yemai.grids.coords import normalize_crs, to_wgs84

from . import workflow
from .choices import Action, Source, State
from .models import Case, CaseEvent, Category
from .routing import route
from .taxonomy import SUB

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone


def _tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def case_number(case: Case) -> str:
    """案件编号: the reporting day and the case's id (20261128000123). The id makes it unique
    with no counter to contend for; concurrent intakes never wait on each other for it."""
    return f"{timezone.localtime(case.reported_at):%Y%m%d}{case.pk:06d}"


def _check_point(lon, lat, crs: str) -> tuple[float | None, float | None]:
    if lon is None and lat is None:
        return None, None
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ValidationError({"lon": [_("Longitude and latitude must be numbers")]}) from None
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (
        -180 <= lon <= 180 and -90 <= lat <= 90
    ):
        raise ValidationError({"lon": [_("Longitude and latitude are out of range")]})
    if crs != "wgs84":
        lon, lat = to_wgs84(lon, lat, crs)
        lon, lat = float(lon), float(lat)
    return lon, lat


def point_check(lon, lat, crs: str = "wgs84") -> tuple[float, float]:
    """A point given by a user, checked and converted to WGS-84; ValidationError if bad."""
    try:
        crs = normalize_crs(crs)
    except ValueError as exc:
        raise ValidationError({"crs": [str(exc)]}) from None
    return _check_point(lon, lat, crs)


def _leaf_categories() -> dict[str, Category]:
    return {
        c.code: c
        for c in Category.objects.filter(enabled=True, parent__isnull=False).select_related(
            "parent", "department"
        )
    }


# Subcategories in use, by code, with their parent and department: every intake names one.
_leaves = ReferenceCache(
    "cases.leaf_categories", _leaf_categories, models=("cases.Category", "grids.Department")
)


def category_get_leaf(*, code: str) -> Category:
    category = _leaves.get().get(code) if isinstance(code, str) else None
    if category is None:
        raise ValidationError({"category": [_("Unknown category %(code)s") % {"code": code}]})
    return copy.copy(category)  # the cached one is shared by every request of the process


def case_report(
    *,
    source: str,
    category: Category,
    description: str,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    reporter=None,
    reporter_name: str = "",
    reporter_phone: str = "",
    idempotency_key: str | None = None,
    scope_user=None,
    now=None,
) -> tuple[Case, bool]:
    """Take a case in: check, locate, route, store with its history. Returns (case, created).

    A repeated ``idempotency_key`` returns the case made the first time. Inside a micro-grid
    with a member on duty the case is registered and dispatched at once (自动派单); outside
    every grid, or with nobody on duty, it waits in the centre's queue. With ``scope_user``,
    a place outside that user's scope is refused (they could not follow the case).

    Checking and routing only read, so they run before the write transaction opens: on the
    embedded SQLite tier the write lock is then held for the inserts alone.
    """
    now = now or timezone.now()
    if idempotency_key:
        # The key is unique; most are new, so look for its id alone before loading a case.
        existing = statements.scalar(_by_key_sql(), [idempotency_key])
        if existing is not None:
            return Case.objects.get(pk=existing), False
    errors: dict[str, list[str]] = {}
    if source not in Source.values:
        errors["source"] = [_("Unknown source %(source)s") % {"source": source}]
    if not category.is_leaf or not category.enabled:
        errors["category"] = [_("Choose a subcategory that is in use")]
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Say what the problem is")]
    if reporter_phone:
        try:
            reporter_phone = normalize_mobile(reporter_phone)
        except ValidationError as exc:
            errors["reporter_phone"] = exc.messages
    if lon is None and lat is None and not address:
        errors["lon"] = [_("Give the place: a point on the map or an address")]
    if errors:
        raise ValidationError(errors)
    try:
        crs = normalize_crs(crs)
    except ValueError as exc:
        raise ValidationError({"crs": [str(exc)]}) from None
    lon, lat = _check_point(lon, lat, crs)
    target = route(lon, lat, now=now)
    if scope_user is not None and not _in_scope(scope_user, target.grid):
        raise ValidationError(
            {"lon": [_("This place is outside your area; report it to the grid centre")]}
        )
    case, steps = _case_new(
        target=target,
        source=source,
        category=category,
        description=description,
        address=address,
        lon=lon,
        lat=lat,
        crs=crs,
        reporter=reporter,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        idempotency_key=idempotency_key,
        now=now,
    )
    with transaction.atomic():
        return _case_store(
            case, steps, reporter=reporter, reporter_name=reporter_name, source=source, now=now
        )


def _by_key_sql() -> str:
    return statements.cached_sql(
        "case_by_idempotency_key",
        lambda qn: (
            f"SELECT {qn('id')} FROM {qn(Case._meta.db_table)} WHERE {qn('idempotency_key')} = %s"  # noqa: S608
        ),
    )


def _in_scope(user, grid) -> bool:
    if getattr(user, "is_unrestricted", False):
        return True
    scope = getattr(user, "scope", None)
    return scope is not None and grid.path.startswith(scope.path)


def _case_new(
    *,
    target,
    source,
    category,
    description,
    address,
    lon,
    lat,
    crs,
    reporter,
    reporter_name,
    reporter_phone,
    idempotency_key,
    now,
) -> tuple[Case, workflow.IntakeSteps]:
    """The case as it will be stored, with its first steps applied in memory (no writes)."""
    case = Case(
        source=source,
        category=category,
        priority=category.priority,
        description=description,
        address=(address or "").strip()[:200],
        lon=lon,
        lat=lat,
        input_crs=crs,
        grid=target.grid,
        reporter=reporter,
        reporter_name=(reporter_name or "").strip()[:50],
        reporter_phone=reporter_phone,
        idempotency_key=idempotency_key or None,
        reported_at=now,
    )
    # 立案 and 派遣 by routing are applied before the insert (same rules, same history rows),
    # so the case is written once, already dispatched with its accept clock running.
    steps = workflow.IntakeSteps(case, now=now)
    if target.located and target.assignee is not None and settings.CASE_AUTO_DISPATCH:
        robot = workflow.system(_("Automatic routing"))
        steps.apply(Action.REGISTER, robot)
        steps.apply(
            Action.DISPATCH,
            robot,
            assignee=target.assignee,
            data={"assignee": target.assignee.pk},
        )
    # A provisional unique number until the id is known (set in the same transaction as the
    # insert). Category, grid, reporter and assignee come from the database already, and the
    # unique number and tracking code are left to the database (IntegrityError, retried).
    case.number, case.tracking_code = _provisional_number(), _tracking_code()
    case.full_clean(
        exclude=["reporter_phone", "idempotency_key", "category", "grid", "reporter", "assignee"],
        validate_unique=False,
        validate_constraints=False,
    )
    return case, steps


def _provisional_number() -> str:
    return f"N{secrets.token_hex(10)}"


def _case_store(
    case: Case, steps: workflow.IntakeSteps, *, reporter, reporter_name, source, now
) -> tuple[Case, bool]:
    """The writes of an intake, in the caller's transaction."""
    idempotency_key = case.idempotency_key
    lon, lat = case.lon, case.lat
    for attempt in range(5):
        if attempt:  # a clash of the random provisional number or tracking code: new ones
            case.number, case.tracking_code = _provisional_number(), _tracking_code()
        try:
            statements.insert(case, guard_unique=True)
            break
        except IntegrityError:
            if idempotency_key:
                existing = Case.objects.filter(idempotency_key=idempotency_key).first()
                if existing is not None:
                    return existing, False
            case.pk = None
    else:
        raise ValidationError(_("Could not number the case; try again"))
    case.number = case_number(case)
    statements.update(case, ["number"])
    reported = CaseEvent(
        case=case,
        action=Action.REPORT,
        from_state="",
        to_state=State.REPORTED,
        actor=reporter,
        actor_label=(str(reporter) if reporter else reporter_name or Source(source).label)[:80],
        at=now,
        lon=lon,
        lat=lat,
        data={"source": source},
    )
    steps.record([reported])
    return case, True


@transaction.atomic
def category_link_departments(*, town) -> int:
    """Give each default subcategory the town's department with the taxonomy's code."""
    from yemai.grids.models import Department

    departments = {d.code: d for d in Department.objects.filter(grid=town)}
    linked = 0
    for code, _name, _priority, _hours, dept_code, _rating in SUB:
        department = departments.get(dept_code)
        if department is not None:
            linked += Category.objects.filter(code=code, department__isnull=True).update(
                department=department
            )
    _leaves.clear()  # update() sends no signal
    return linked
