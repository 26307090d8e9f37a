"""Excel (xlsx) import of the people ledgers (台账): residents, houses, households, organisations.

The rules, for every caller (admin page, API, command line):

* Columns are found by their header (Chinese, or an English alias) in the first rows of the
  first sheet, so an export of Yemai imports again; columns Yemai does not know are ignored.
* Every bad row is reported with its row number as Excel shows it, the column and the reason.
* All or nothing: with any bad row nothing changes, unless ``skip_bad_rows`` (then the good
  rows are written and the bad ones reported). ``dry_run`` checks everything, writes nothing.
* The same file imported twice updates instead of duplicating: each row is keyed (ID number
  through its hash for residents, 房屋编号 for houses …, or the key the user names); on update
  an empty cell keeps the stored value.
* ID numbers that Excel turned into numbers (3.30282E+17) have lost their last digits and are
  refused with a message saying so; a numeric cell that still holds the exact number passes.
* Rows land only in micro-grids inside the importing user's scope; others are bad rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yemai.core.audit import audit_record
from yemai.core.importing import Progress, RowError
from yemai.core.validators import parse_id_number

from .access import audit_user, require_manage
from .import_rows import KINDS, Rows

HEADER_SEARCH_ROWS = 10
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_ESCAPED = re.compile(r"^'[=+\-@]")
ID_FIELDS = {"id_number", "landlord"}
TOTALS = {"合计", "总计", "total"}


@dataclass
class ImportReport:
    kind: str
    key: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
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


def normalise_header(text) -> str:
    text = str(text or "").strip().lower()
    text = text.replace("（", "(").replace("）", ")")
    return re.sub(r"[\s_\-*]", "", text)


def _header_map(rows_cls: type[Rows]) -> dict[str, str]:
    mapping = {}
    for name, headers in rows_cls.columns.items():
        for header in headers:
            mapping.setdefault(normalise_header(header), name)
    return mapping


def resolve_key(rows_cls: type[Rows], key: str) -> str:
    """The field a user's ``--key`` names: a field name or any of its headers."""
    if not key:
        return rows_cls.keys[0]
    wanted = _header_map(rows_cls).get(normalise_header(key), key)
    if wanted not in rows_cls.keys:
        allowed = ", ".join(f"{k} ({rows_cls.columns[k][0]})" for k in rows_cls.keys)
        raise ValidationError(
            {
                "key": [
                    _("Cannot key %(kind)s by %(key)s: use %(allowed)s")
                    % {"kind": rows_cls.kind, "key": key, "allowed": allowed}
                ]
            }
        )
    return wanted


def cell_text(value) -> str:
    """A cell as the text a person typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if _ESCAPED.match(text):
        text = text[1:]  # Yemai's own exports escape formulas with a leading '
    return text


def id_cell_text(value) -> str:
    """An ID-number cell; a number that lost digits to Excel is an error, not a wrong person."""
    lost = ValidationError(
        _(
            "The ID number is stored as a number (like 3.30282E+17): Excel keeps only 15 digits, "
            "so its last digits are lost. Format the column as text and type the number again."
        )
    )
    if isinstance(value, bool):
        raise lost
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise lost
        digits = str(int(value))
        # Excel rounds to 15 significant digits: the tail is zeros. A number that still holds
        # 18 digits with a valid check character is the exact number (written by a program).
        if len(digits) != 18 or digits.endswith("000"):
            raise lost
        try:
            parse_id_number(digits)
        except ValidationError:
            raise lost from None
        return digits
    text = cell_text(value)
    if _SCIENTIFIC.match(text):
        raise lost
    return text


def _open_sheet(file):
    from openpyxl import load_workbook

    try:
        if hasattr(file, "seek"):
            file.seek(0)
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - zip, XML and openpyxl errors alike mean "not an xlsx"
        raise ValidationError({"file": [_("The file is not an Excel workbook (.xlsx)")]}) from None
    return workbook, workbook.worksheets[0]


def _find_header(rows: list[tuple], mapping: dict[str, str]) -> tuple[int, dict[int, str], dict]:
    """Row index (1-based) of the header, column position → field, field → header text."""
    best = (0, {}, {})
    for index, row in enumerate(rows, start=1):
        columns, texts = {}, {}
        for pos, value in enumerate(row):
            name = mapping.get(normalise_header(value))
            if name and name not in texts:
                columns[pos] = name
                texts[name] = str(value).strip()
        if len(columns) > len(best[1]):
            best = (index, columns, texts)
    return best


def import_xlsx(
    *,
    kind: str,
    file,
    user,
    skip_bad_rows: bool = False,
    key: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
    filename: str = "",
) -> ImportReport:
    """Import one ledger; returns the report (``applied`` says whether anything was written)."""
    if kind not in KINDS:
        raise ValidationError({"kind": [_("Unknown ledger %(kind)s") % {"kind": kind}]})
    require_manage(user)
    rows_cls = KINDS[kind]
    key = resolve_key(rows_cls, key)
    report = ImportReport(kind=kind, key=key, dry_run=dry_run)
    workbook, sheet = _open_sheet(file)
    try:
        _run(rows_cls(user=user, key=key), sheet, report, skip_bad_rows, dry_run, progress)
    finally:
        workbook.close()
    audit_record(
        user=audit_user(user),
        kind="import",
        object_type=f"people.{kind}",
        detail={
            "kind": kind,
            "file": filename or getattr(file, "name", "") or "",
            "key": key,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "bad_rows": report.bad_rows,
            "skipped": report.skipped,
            "applied": report.applied,
            "dry_run": dry_run,
            "actor": getattr(user, "username", ""),
        },
    )
    return report


def _run(handler: Rows, sheet, report, skip_bad_rows, dry_run, progress) -> None:
    mapping = _header_map(type(handler))
    head = list(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True))
    header_row, columns, texts = _find_header(head, mapping)
    if handler.key not in texts:
        wanted = type(handler).columns[handler.key][0]
        report.errors.append(
            RowError(0, wanted, _("The sheet has no %(column)s column") % {"column": wanted})
        )
        return
    seen: dict[str, int] = {}
    rows = sheet.iter_rows(min_row=header_row + 1, values_only=True)
    total = max((sheet.max_row or header_row) - header_row, 0)
    if progress is not None:
        rows = progress(rows, total)
    with transaction.atomic():
        for number, row in enumerate(rows, start=header_row + 1):
            values, error = _row_values(row, columns, texts, number, type(handler).masked)
            if values is None and error is None:
                continue  # an empty row, or the totals row of an export
            report.rows += 1
            if error is not None:
                report.errors.append(error)
            else:
                report.errors.extend(_apply_row(handler, values, texts, number, seen, report))
        if report.errors and not skip_bad_rows:
            report.created = report.updated = 0
            transaction.set_rollback(True)
            return
        report.skipped = report.bad_rows
        if dry_run:
            transaction.set_rollback(True)
            return
    report.applied = True


def _row_values(row, columns, texts, number, masked=()):
    values = {}
    for pos, name in columns.items():
        raw = row[pos] if pos < len(row) else None
        try:
            values[name] = id_cell_text(raw) if name in ID_FIELDS else cell_text(raw)
        except ValidationError as exc:
            return {}, RowError(number, texts[name], exc.messages[0])
        if name in masked and "*" in values[name]:
            message = _(
                "The value is masked (*), as in a masked export: an import needs the whole "
                "value. Export unmasked, or leave the cell empty to keep the stored value."
            )
            return {}, RowError(number, texts[name], message)
    if not any(values.values()):
        return None, None
    # The totals row of an export: 合计 in the 序号 column.
    if row and 0 not in columns and cell_text(row[0]).lower() in TOTALS:
        return None, None
    return values, None


def _apply_row(handler, values, texts, number, seen, report) -> list[RowError]:
    key_value = handler.key_value(values)
    if key_value and key_value in seen:
        column = texts.get(handler.key, handler.key)
        message = _("Same %(column)s as row %(row)s") % {"column": column, "row": seen[key_value]}
        return [RowError(number, column, message)]
    try:
        with transaction.atomic():  # a savepoint: a bad row leaves nothing behind
            outcome = handler.apply(dict(values))
    except ValidationError as exc:
        return _row_errors(exc, texts, type(handler), number)
    except PermissionDenied as exc:
        return [RowError(number, "", str(exc))]
    if key_value:
        seen[key_value] = number
    if outcome == "created":
        report.created += 1
    else:
        report.updated += 1
    return []


def _row_errors(exc: ValidationError, texts: dict, rows_cls: type[Rows], number: int):
    """One error per column, named as the file names it (or by its Chinese header)."""
    if not hasattr(exc, "error_dict"):
        return [RowError(number, "", "; ".join(exc.messages))]
    found = []
    for name, errors in exc.error_dict.items():
        messages = [m for e in errors for m in e.messages]
        if name == "__all__":
            column = ""
        else:
            column = texts.get(name) or rows_cls.columns.get(name, (name,))[0]
        found.append(RowError(number, column, "; ".join(messages)))
    return found
