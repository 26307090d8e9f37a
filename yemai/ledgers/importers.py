"""Excel (xlsx) import of a ledger: every bad row named with its number and column.

All or nothing: one bad row and nothing is stored, unless ``skip_bad_rows`` (then the good
rows are stored and the bad ones reported). The header row is found by its Chinese headers,
so an exported file (with its title row) imports again as it is. Audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yemai.core.audit import audit_record
from yemai.core.importing import Progress, RowError
from yemai.core.xlsx import read_rows

from .access import audit_user, require_keep
from .registry import ledger_get
from .services import ledger_rows_store, parse_row

MAX_BYTES = 20 * 1024 * 1024


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_xlsx(*, kind: str, user, content: bytes, skip_bad_rows: bool = False,
                progress: Progress | None = None) -> ImportResult:  # fmt: skip
    ledger = ledger_get(kind)
    require_keep(user)
    result = ImportResult(kind)
    if len(content) > MAX_BYTES:
        result.errors.append(RowError(0, "", _("The file is larger than 20 MB")))
        return result
    required = [c.header for c in ledger.cols if c.required]
    try:
        header, rows = read_rows(content, required=required)
    except ValueError:
        result.errors.append(
            RowError(
                0, "", _("Not an xlsx file with the headers %(h)s") % {"h": "、".join(required)}
            )
        )
        return result
    index = {h: i for i, h in enumerate(header) if h}
    iterable = progress(rows, len(rows)) if progress else rows
    good: list[tuple[int, dict]] = []
    for number, values in iterable:
        raw = {
            c.name: values[index[c.header]]
            if c.header in index and index[c.header] < len(values)
            else None
            for c in ledger.cols
        }
        data, errors = parse_row(ledger, raw, user)
        if errors:
            for name, messages in errors.items():
                header_text = ledger.col(name).header if name != "__all__" else ""
                for message in messages:
                    result.errors.append(RowError(number, header_text, message))
            continue
        good.append((number, data))
    if result.errors and not skip_bad_rows:
        return result
    try:
        with transaction.atomic():
            for number, data in good:
                try:
                    with transaction.atomic():
                        ledger_rows_store(ledger=ledger, user=user, rows=[data])
                except ValidationError as exc:
                    for name, messages in exc.message_dict.items():
                        col = next((c.header for c in ledger.cols if c.name == name), name)
                        result.errors.extend(RowError(number, col, m) for m in messages)
                    continue
                result.created += 1
            if result.errors and not skip_bad_rows:
                raise _Rollback
    except _Rollback:
        result.created = 0
        return result
    audit_record(
        user=audit_user(user),
        kind="import",
        object_type=f"ledgers.{kind}",
        detail={"kind": kind, "created": result.created, "skipped": len(result.errors)},
    )
    return result


class _Rollback(Exception):
    pass
