"""Excel (xlsx) export of the people ledgers (台账), as a grid office prints them.

Each sheet has a title row with the unit (the scope exported) and the date, a 序号 column, a
frozen header row, a totals row and A4 landscape print settings. ID numbers and phones are
written as text (number format ``@`` and string values), so Excel never turns them into
5.1E+17. Text starting with = + - @ is escaped with a leading ' so no cell runs as a formula.
Personal data is masked unless the user may see it whole and asked for it (``unmasked``);
every export is audited with its row count and whether it was unmasked.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core.audit import audit_record
from yemai.core.masking import mask_address, mask_id_number, mask_phone
from yemai.core.security.watermark import watermark_sheet
from yemai.core.xlsx import escape, sheet_setup
from yemai.grids.models import GridNode

from . import selectors
from .access import audit_user, grid_in_scope, require_manage
from .choices import HouseUse, OrganisationKind, Registration
from .models import Resident

TEXT = "@"

REGISTRATION_WORDS = {
    Registration.HOUSEHOLD: "户籍",
    Registration.MIGRANT: "流动",
    Registration.FOREIGN: "境外",
}
USE_WORDS = {HouseUse.OWN: "自住", HouseUse.RENTED: "出租", HouseUse.VACANT: "空置"}
KIND_WORDS = {
    OrganisationKind.SHOP: "商铺",
    OrganisationKind.ENTERPRISE: "企业",
    OrganisationKind.INTERNET_CAFE: "网吧",
    OrganisationKind.OTHER: "其他",
}


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable  # (row, whole: bool) -> cell value
    width: float = 14
    text: bool = False  # written as text, never as a number


def _pick(whole: bool, value: str, mask: Callable[[str], str]) -> str:
    return (value or "") if whole else mask(value)


def _landlord(house) -> bool:
    # house_list marks landlords the user may not see (restricted tags): shown as empty.
    return bool(house.landlord_id and getattr(house, "landlord_visible", False))


def _grid_columns() -> list[Column]:
    return [
        Column("所属微网格", lambda r, w: r.grid.code, 18, text=True),
        Column("微网格名称", lambda r, w: r.grid.name, 20),
    ]


RESIDENTS = [
    Column("姓名", lambda r, w: r.name, 10),
    Column("公民身份号码", lambda r, w: _pick(w, r.id_number, mask_id_number), 22, text=True),
    Column("性别", lambda r, w: {"M": "男", "F": "女"}.get(r.sex, ""), 6),
    Column(
        "出生日期", lambda r, w: r.birth_date.isoformat() if r.birth_date else "", 12, text=True
    ),
    Column("联系电话", lambda r, w: _pick(w, r.phone, mask_phone), 14, text=True),
    *_grid_columns(),
    Column("户籍类型", lambda r, w: REGISTRATION_WORDS.get(r.registration, r.registration), 10),
    Column("户号", lambda r, w: r.household.number if r.household_id else "", 14, text=True),
    Column("房屋编号", lambda r, w: r.house.code if r.house_id else "", 14, text=True),
    Column("标签", lambda r, w: "、".join(t.name for t in r.tags.all()), 18),
]
HOUSES = [
    Column("房屋编号", lambda r, w: r.code, 14, text=True),
    Column("地址", lambda r, w: _pick(w, r.address, mask_address), 30),
    Column("经度", lambda r, w: r.lon, 12),
    Column("纬度", lambda r, w: r.lat, 12),
    *_grid_columns(),
    Column("使用情况", lambda r, w: USE_WORDS.get(r.use, r.use), 10),
    Column("房东姓名", lambda r, w: r.landlord.name if _landlord(r) else "", 10),
    Column(
        "房东公民身份号码",
        lambda r, w: _pick(w, r.landlord.id_number, mask_id_number) if _landlord(r) else "",
        22,
        text=True,
    ),
]
HOUSEHOLDS = [
    Column("户号", lambda r, w: r.number, 16, text=True),
    *_grid_columns(),
    Column("房屋编号", lambda r, w: r.house.code if r.house_id else "", 14, text=True),
    Column("人数", lambda r, w: getattr(r, "member_count", 0), 8),
]
ORGANISATIONS = [
    Column("名称", lambda r, w: r.name, 24),
    Column("类型", lambda r, w: KIND_WORDS.get(r.kind, r.kind), 8),
    Column("统一社会信用代码", lambda r, w: r.credit_code, 22, text=True),
    Column("地址", lambda r, w: r.address, 30),
    Column("经度", lambda r, w: r.lon, 12),
    Column("纬度", lambda r, w: r.lat, 12),
    *_grid_columns(),
    Column("联系人", lambda r, w: r.contact_name, 10),
    Column("联系电话", lambda r, w: _pick(w, r.contact_phone, mask_phone), 14, text=True),
]

# kind → (title, unit word for the totals row, columns)
LEDGERS = {
    "residents": ("实有人口台账", "人", RESIDENTS),
    "houses": ("房屋台账", "处", HOUSES),
    "households": ("住户台账", "户", HOUSEHOLDS),
    "organisations": ("单位台账", "家", ORGANISATIONS),
}


@dataclass
class ExportResult:
    kind: str
    rows: int
    unmasked: bool
    content: bytes
    filename: str


def _queryset(kind: str, user, grid):
    if kind == "residents":
        return selectors.resident_list(user=user, grid=grid).select_related("household", "house")
    if kind == "houses":
        return selectors.house_list(user=user, grid=grid)
    if kind == "households":
        return selectors.household_list(user=user, grid=grid)
    return selectors.organisation_list(user=user, grid=grid)


def _member_counts(user) -> dict[int, int]:
    # Counted over the residents this user may see, so hidden people are not revealed by a sum.
    rows = (
        Resident.objects.restrict(user)
        .exclude(household=None)
        .values("household")
        .annotate(n=Count("id", distinct=True))
    )
    return {r["household"]: r["n"] for r in rows}


def _resolve_grid(user, grid) -> GridNode | None:
    if grid in (None, ""):
        return None
    node = grid if isinstance(grid, GridNode) else GridNode.objects.filter(code=str(grid)).first()
    if node is None or not grid_in_scope(user, node):
        raise ValidationError(
            {"grid": [_("No grid with code %(code)s in your scope") % {"code": grid}]}
        )
    return node


def export_xlsx(
    *,
    kind: str,
    user,
    grid=None,
    unmasked: bool = False,
    progress: Callable[[Iterable, int], Iterable] | None = None,
) -> ExportResult:
    """Write one ledger of the user's scope (or of ``grid`` inside it) to an xlsx workbook."""
    if kind not in LEDGERS:
        raise ValidationError({"kind": [_("Unknown ledger %(kind)s") % {"kind": kind}]})
    require_manage(user)
    if unmasked and not getattr(user, "can_reveal_pii", False):
        raise PermissionDenied(_("Your role may not export whole personal data"))
    node = _resolve_grid(user, grid)
    unit = node or getattr(user, "scope", None)
    unit_name = unit.name if unit is not None else _("all grids")
    title, word, columns = LEDGERS[kind]
    qs = _queryset(kind, user, node)
    total = qs.count()
    rows: Iterable = qs.iterator(chunk_size=2000)
    if progress is not None:
        rows = progress(rows, total)
    counts = _member_counts(user) if kind == "households" else {}
    content, written = _write(title, unit_name, word, columns, rows, unmasked, counts, user=user)
    today = timezone.localdate()
    audit_record(
        user=audit_user(user),
        kind="export",
        object_type=f"people.{kind}",
        detail={
            "kind": kind,
            "rows": written,
            "unmasked": bool(unmasked),
            "grid": unit.code if unit is not None else "",
            "actor": getattr(user, "username", ""),
        },
    )
    filename = f"{kind}-{unit.code if unit is not None else 'all'}-{today:%Y%m%d}.xlsx"
    return ExportResult(kind, written, bool(unmasked), content, filename)


def _write(title, unit_name, word, columns, rows, whole, counts, user=None) -> tuple[bytes, int]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    width = len(columns) + 1
    sheet.column_dimensions["A"].width = 6
    for i, column in enumerate(columns, start=2):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet_setup(sheet, width=width)
    # Watermark (导出水印): the exporter and the time, in the printed header/footer and title.
    mark = watermark_sheet(sheet, user=user)

    today = timezone.localdate()
    heading = WriteOnlyCell(
        sheet,
        value=f"{unit_name} {title}（制表日期：{today.year}年{today.month}月{today.day}日）  {mark}",
    )
    heading.font = Font(bold=True, size=14)
    heading.alignment = Alignment(horizontal="center")
    sheet.append([heading])

    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_cells = []
    for text in ["序号", *(c.header for c in columns)]:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = border
        cell.alignment = Alignment(horizontal="center")
        header_cells.append(cell)
    sheet.append(header_cells)

    written = 0
    for written, row in enumerate(rows, start=1):
        if counts:
            row.member_count = counts.get(row.pk, 0)
        cells = [written]
        for column in columns:
            value = escape(column.value(row, whole))
            if column.text:
                cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
                cell.number_format = TEXT
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)

    totals = [
        WriteOnlyCell(sheet, value="合计"),
        WriteOnlyCell(sheet, value=f"共 {written} {word}"),
    ]
    for cell in totals:
        cell.font = Font(bold=True)
    sheet.append(totals)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), written
