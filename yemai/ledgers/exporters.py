"""Excel (xlsx) export of a ledger, in the office's layout (yemai.core.xlsx).

Personal data is masked unless the user may see it whole and asked for it; every export is
audited with its row count and whether it was whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core.audit import audit_record
from yemai.core.xlsx import Sheet, workbook_bytes

from . import selectors
from .access import audit_user, require_keep
from .registry import ledger_get


@dataclass
class ExportResult:
    kind: str
    rows: int
    unmasked: bool
    content: bytes
    filename: str


def export_xlsx(*, kind: str, user, grid=None, start=None, end=None, unmasked: bool = False,
                progress=None) -> ExportResult:  # fmt: skip
    """One ledger of the user's scope (or of ``grid`` inside it), dated in [start, end)."""
    ledger = ledger_get(kind)
    require_keep(user)
    if unmasked and user is not None and not getattr(user, "can_reveal_pii", False):
        raise PermissionDenied(_("Your role may not export whole personal data"))
    qs = selectors.ledger_list(kind=kind, user=user, grid=grid, start=start, end=end)
    total = qs.count()
    rows = qs.iterator(chunk_size=2000)
    if progress is not None:
        rows = progress(rows, total)
    headers = [c.header for c in ledger.cols] + ["网格名称"]
    text = frozenset(
        i for i, c in enumerate(ledger.cols) if c.kind in {"grid", "id_number", "phone", "text"}
    )

    def cells():
        for obj in rows:
            values = [selectors.cell_value(c, obj, whole=unmasked, words=True) for c in ledger.cols]
            yield [*values, obj.grid.name if getattr(obj, "grid", None) else ""]

    unit = grid or getattr(user, "scope", None)
    unit_name = unit.name if unit is not None else _("all grids")
    sheet = Sheet(
        name=ledger.title,
        title=ledger.title,
        headers=headers,
        rows=cells(),
        widths=[c.width for c in ledger.cols] + [20],
        text_columns=text,
        totals=[],
    )
    content = workbook_bytes([sheet], unit_name=str(unit_name), user=audit_user(user))
    sheet_rows = sheet.written
    audit_record(
        user=audit_user(user),
        kind="export",
        object_type=f"ledgers.{kind}",
        detail={"kind": kind, "rows": sheet_rows, "unmasked": bool(unmasked),
                "grid": unit.code if unit is not None else ""},
    )  # fmt: skip
    today = timezone.localdate()
    code = unit.code if unit is not None else "all"
    return ExportResult(
        kind, sheet_rows, bool(unmasked), content, f"{kind}-{code}-{today:%Y%m%d}.xlsx"
    )
