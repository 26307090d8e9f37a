"""12345 hotline import (12345 热线工单导入): an xlsx or CSV export of tickets becomes cases.

The rules, for every caller (command line, admin, API):

* The file is recognised by its content: an xlsx workbook (a zip), else CSV text in UTF-8
  (with or without BOM) or GBK/GB 18030 as Excel in China writes it. Columns are found by
  their header in the first rows: 工单编号, 来电时间, 诉求内容, 事件类型 (required), 地址,
  经度, 纬度, 坐标系 (wgs84 / gcj02 / bd09; empty: WGS-84), 来电人, 联系电话.
* Each ticket becomes a case through ``services.case_report`` with ``source="hotline"`` and
  the idempotency key ``12345:<工单编号>``: importing the same file again creates nothing new.
  The case is reported at the call time (来电时间), so its clocks and the handling-time metrics
  run from the moment the resident called.
* Every bad row is reported with its row number (as Excel shows it, or the CSV line), the
  column and the reason: an unknown category, malformed or out-of-range coordinates, a
  missing description, a time that cannot be read, a ticket number seen twice. A point
  outside every grid is *not* an error: the case waits in the grid centre's queue.
* All or nothing: with any bad row nothing is written, unless ``skip_bad_rows`` (then the good
  rows are written and the bad ones reported). ``dry_run`` goes through everything, writes
  nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.accounts.roles import Role
from yemai.core.importing import Progress, RowError, read_table_rows
from yemai.core.validators import normalize_mobile
from yemai.grids.coords import normalize_crs

from .choices import Source, State
from .models import Category
from .services import case_report

HEADER_SEARCH_ROWS = 10
MAX_ROWS = 100_000
KEY_PREFIX = "12345:"
IMPORTERS = {Role.TOWN_HEAD, Role.CENTRE_OPERATOR}  # the grid centre takes the hotline in

# field → headers it may have (the first is the name shown in messages).
COLUMNS: dict[str, tuple[str, ...]] = {
    "ticket": ("工单编号", "工单号", "ticket", "ticket_id"),
    "called_at": ("来电时间", "受理时间", "called_at", "call_time"),
    "description": ("诉求内容", "问题描述", "description"),
    "address": ("地址", "事发地址", "address"),
    "lon": ("经度", "lon", "lng", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "crs": ("坐标系", "crs"),
    "category": ("事件类型", "事件分类", "category"),
    "caller": ("来电人", "来电人姓名", "caller"),
    "phone": ("联系电话", "来电号码", "phone"),
}
REQUIRED = ("ticket", "called_at", "description", "category")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")  # 0574-12345678, with an extension
_TIME = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]*(\d{1,2})[:时点](\d{1,2})分?(?::?(\d{1,2})(?:\.\d+)?秒?)?)?$"
)


@dataclass
class HotlineReport:
    rows: int = 0
    created: int = 0
    existing: int = 0  # imported before: the same ticket number
    to_centre: int = 0  # created outside every grid (or with nobody on duty): the centre's queue
    skipped: int = 0
    applied: bool = False
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    def as_dict(self) -> dict:
        return {**asdict(self), "bad_rows": self.bad_rows}


@dataclass
class Ticket:
    row: int
    ticket: str
    called_at: dt.datetime
    description: str
    category: Category
    address: str
    lon: float | None
    lat: float | None
    crs: str
    caller: str
    phone: str  # a mobile number, normalised
    landline: str  # or a landline, kept as written


# --- Reading the file -------------------------------------------------------------------------


def read_table(data: bytes) -> list[tuple]:
    return read_table_rows(data, limit=MAX_ROWS + HEADER_SEARCH_ROWS)


def _normalise_header(text) -> str:
    text = str(text or "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s_\-*:：]", "", text)


_HEADERS = {_normalise_header(h): name for name, hs in COLUMNS.items() for h in hs}


def _find_header(rows: list[tuple]) -> tuple[int, dict[int, str]]:
    """Index (0-based) of the header row and column position → field."""
    best_index, best = -1, {}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = {}
        for pos, value in enumerate(row):
            name = _HEADERS.get(_normalise_header(value))
            if name and name not in columns.values():
                columns[pos] = name
        if len(columns) > len(best):
            best_index, best = index, columns
    return best_index, best


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value).strip()


# --- One row ----------------------------------------------------------------------------------


class Categories:
    """Subcategories by code, by name and by ``main/sub`` name, loaded once per import."""

    def __init__(self):
        self.by_code, self.by_name, self.by_path = {}, {}, {}
        for c in Category.objects.filter(parent__isnull=False, enabled=True).select_related(
            "parent"
        ):
            self.by_code[c.code] = c
            self.by_name.setdefault(c.name, []).append(c)
            self.by_path[f"{c.parent.name}/{c.name}"] = c

    def get(self, text: str) -> Category:
        text = text.strip()
        found = self.by_code.get(text) or self.by_path.get(re.sub(r"\s*[/／>＞\-—]\s*", "/", text))
        if found:
            return found
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            codes = ", ".join(c.code for c in named)
            raise ValidationError(
                _("%(name)s is the name of several categories: use the code (%(codes)s)")
                % {"name": text, "codes": codes}
            )
        raise ValidationError(_("Unknown category %(code)s") % {"code": text})


def _called_at(value, now: dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time.min)
    else:
        text = _text(value)
        match = _TIME.match(text)
        if not match:
            raise ValidationError(
                _("%(value)s is not a date and time like 2024-05-01 08:30") % {"value": text}
            )
        parts = [int(p) if p else 0 for p in match.groups()]
        try:
            moment = dt.datetime(*parts)
        except ValueError:
            raise ValidationError(_("%(value)s is not a real date") % {"value": text}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # local time, as the hotline writes it
    if moment > now + dt.timedelta(hours=1):
        raise ValidationError(_("The call time is in the future"))
    return moment


def _number(text: str) -> float:
    try:
        value = float(text.replace("°", ""))
    except ValueError:
        raise ValidationError(_("%(value)s is not a number") % {"value": text}) from None
    if not math.isfinite(value):
        raise ValidationError(_("%(value)s is not a number") % {"value": text})
    return value


def _parse(number: int, values: dict, categories: Categories, now) -> tuple[Ticket | None, list]:
    errors: list[RowError] = []
    header = {name: COLUMNS[name][0] for name in COLUMNS}

    def check(name, fn, *args):
        try:
            return fn(*args)
        except ValidationError as exc:
            errors.append(RowError(number, header[name], "; ".join(exc.messages)))
            return None

    ticket = values.get("ticket", "")
    if not ticket:
        errors.append(RowError(number, header["ticket"], _("The ticket number is empty")))
    elif len(KEY_PREFIX + ticket) > 200:
        errors.append(RowError(number, header["ticket"], _("The ticket number is too long")))
    description = values.get("description", "")
    if not description:
        errors.append(RowError(number, header["description"], _("Say what the problem is")))
    category = None
    if not values.get("category"):
        errors.append(RowError(number, header["category"], _("The category is empty")))
    else:
        category = check("category", categories.get, values["category"])
    called_at = None
    if not values.get("called_at_raw") and not values.get("called_at"):
        errors.append(RowError(number, header["called_at"], _("The call time is empty")))
    else:
        called_at = check("called_at", _called_at, values.get("called_at_raw"), now)
    lon_text, lat_text = values.get("lon", ""), values.get("lat", "")
    lon = lat = None
    if lon_text or lat_text:
        if not (lon_text and lat_text):
            column = header["lat"] if lon_text else header["lon"]
            errors.append(RowError(number, column, _("Give both longitude and latitude")))
        else:
            lon = check("lon", _number, lon_text)
            lat = check("lat", _number, lat_text)
            if (
                lon is not None
                and lat is not None
                and not (-180 <= lon <= 180 and -90 <= lat <= 90)
            ):
                hint = (
                    _(" (are longitude and latitude swapped?)")
                    if -180 <= lat <= 180 and -90 <= lon <= 90
                    else ""
                )
                errors.append(
                    RowError(
                        number,
                        header["lon"],
                        _("%(lon)s, %(lat)s is not a point on Earth%(hint)s")
                        % {"lon": lon_text, "lat": lat_text, "hint": hint},
                    )
                )
    elif not values.get("address"):
        errors.append(
            RowError(number, header["address"], _("Give the place: an address or coordinates"))
        )
    crs = "wgs84"
    try:
        crs = normalize_crs(values.get("crs", ""))
    except ValueError:
        errors.append(
            RowError(
                number,
                header["crs"],
                _("Unknown coordinate system %(crs)s: use wgs84, gcj02 or bd09")
                % {"crs": values.get("crs", "")},
            )
        )
    phone = landline = ""
    raw_phone = values.get("phone", "")
    if raw_phone:
        try:
            phone = normalize_mobile(raw_phone)
        except ValidationError:
            compact = re.sub(r"[\s()]", "", raw_phone)
            if _LANDLINE.match(compact):
                landline = compact
            else:
                errors.append(
                    RowError(
                        number,
                        header["phone"],
                        _("%(value)s is neither a mobile nor a landline number")
                        % {"value": raw_phone},
                    )
                )
    if errors:
        return None, errors
    return (
        Ticket(
            row=number,
            ticket=ticket,
            called_at=called_at,
            description=description,
            category=category,
            address=values.get("address", ""),
            lon=lon,
            lat=lat,
            crs=crs,
            caller=values.get("caller", ""),
            phone=phone,
            landline=landline,
        ),
        [],
    )


def _service_errors(exc: ValidationError, number: int) -> list[RowError]:
    names = {
        "lon": "lon",
        "lat": "lat",
        "crs": "crs",
        "category": "category",
        "description": "description",
        "reporter_phone": "phone",
        "reporter_name": "caller",
        "address": "address",
    }
    if not hasattr(exc, "error_dict"):
        return [RowError(number, "", "; ".join(exc.messages))]
    return [
        RowError(
            number,
            COLUMNS[names[name]][0] if name in names else "",
            "; ".join(m for e in errs for m in e.messages),
        )
        for name, errs in exc.error_dict.items()
    ]


# --- The import -------------------------------------------------------------------------------


def _require_importer(user) -> None:
    if user is None or getattr(user, "is_unrestricted", False):
        return
    if getattr(user, "role", "") not in IMPORTERS:
        raise PermissionDenied(_("Only the grid centre imports hotline tickets"))


def _in_scope(user, grid) -> bool:
    if user is None or getattr(user, "is_unrestricted", False):
        return True
    scope = getattr(user, "scope", None)
    return scope is not None and grid.path.startswith(scope.path)


class _Rollback(Exception):
    pass


def hotline_import(
    *,
    file,
    user=None,
    skip_bad_rows: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    filename: str = "",
    now: dt.datetime | None = None,
) -> HotlineReport:
    """Import hotline tickets as cases; returns the report (``applied``: something written).

    ``user`` is the importing account (a centre role; its scope must hold the points), or
    None for the unrestricted set-up context (command line without ``--as``).
    """
    _require_importer(user)
    now = now or timezone.now()
    data = file if isinstance(file, bytes) else file.read()
    report = HotlineReport(dry_run=dry_run)
    rows = read_table(data)
    header_index, columns = _find_header(rows)
    missing = [COLUMNS[name][0] for name in REQUIRED if name not in columns.values()]
    if missing:
        report.errors.append(
            RowError(
                0,
                "",
                _("The file has no %(columns)s column") % {"columns": ", ".join(missing)},
            )
        )
        return report
    body = rows[header_index + 1 :]
    if len(body) > MAX_ROWS:
        report.errors.append(RowError(0, "", _("At most %(n)s tickets per file") % {"n": MAX_ROWS}))
        return report

    categories = Categories()
    tickets: list[Ticket] = []
    seen: dict[str, int] = {}
    for offset, row in enumerate(body):
        number = header_index + 2 + offset  # 1-based, as Excel and a text editor count
        values = {}
        for pos, name in columns.items():
            raw = row[pos] if pos < len(row) else None
            values[name] = _text(raw)
            if name == "called_at":
                values["called_at_raw"] = raw if raw not in ("", None) else None
        if not any(v for k, v in values.items() if k != "called_at_raw"):
            continue  # an empty line
        report.rows += 1
        ticket, errors = _parse(number, values, categories, now)
        if ticket is not None and ticket.ticket in seen:
            errors = [
                RowError(
                    number,
                    COLUMNS["ticket"][0],
                    _("Same ticket number as row %(row)s") % {"row": seen[ticket.ticket]},
                )
            ]
            ticket = None
        if ticket is not None:
            seen[ticket.ticket] = number
            tickets.append(ticket)
        report.errors.extend(errors)

    if report.errors and not skip_bad_rows:
        return report

    tickets_iter = progress(tickets, len(tickets)) if progress is not None else tickets
    try:
        with transaction.atomic():
            for ticket in tickets_iter:
                report.errors.extend(_write(ticket, user, report))
            if report.errors and not skip_bad_rows:
                raise _Rollback
            if dry_run:
                raise _Rollback
    except _Rollback:
        if report.errors and not skip_bad_rows:
            report.created = report.existing = report.to_centre = 0
            return report
    report.skipped = report.bad_rows
    report.applied = not dry_run and (report.created > 0)
    if not dry_run:
        from yemai.core.audit import audit_record  # noqa: PLC0415

        audit_record(
            user=user,
            kind="import",
            object_type="cases.case",
            detail={
                "kind": "hotline",
                "file": filename or getattr(file, "name", "") or "",
                "rows": report.rows,
                "created": report.created,
                "existing": report.existing,
                "bad_rows": report.bad_rows,
                "actor": getattr(user, "username", ""),
            },
        )
    return report


def _write(ticket: Ticket, user, report: HotlineReport) -> list[RowError]:
    try:
        with transaction.atomic():  # a savepoint: a bad row leaves nothing behind
            case, created = case_report(
                source=Source.HOTLINE,
                category=ticket.category,
                description=ticket.description,
                lon=ticket.lon,
                lat=ticket.lat,
                crs=ticket.crs,
                address=ticket.address,
                reporter_name=ticket.caller,
                reporter_phone=ticket.phone,
                idempotency_key=KEY_PREFIX + ticket.ticket,
                now=ticket.called_at,
            )
            if not created:
                report.existing += 1
                return []
            if not _in_scope(user, case.grid):
                raise ValidationError(
                    {
                        "lon": [
                            _("The place is outside your scope (%(grid)s)")
                            % {"grid": case.grid.name}
                        ]
                    }
                )
            if ticket.landline:
                # case_report takes mobiles only; a landline is kept (encrypted) as written.
                case.reporter_phone = ticket.landline
                case.save(update_fields=["reporter_phone"])
    except ValidationError as exc:
        return _service_errors(exc, ticket.row)
    report.created += 1
    if case.state == State.REPORTED and case.assignee_id is None:
        report.to_centre += 1
    return []
