"""Excel (xlsx) workbooks as a grid office prints its ledgers (台账) and tables (统计表).

One sheet per table: a title row with the unit and the date, a 序号 column, a frozen bold
header, an optional totals row, A4 landscape print settings fitted to the page width. Text
that a spreadsheet would run as a formula (= + - @) gets a leading ' (formula injection);
columns marked ``text`` are written as strings with the text format (ID numbers never turn
into 5.1E+17). Shared by the ledgers and reports apps.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape(value):
    """A string that a spreadsheet would run as a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass
class Sheet:
    """One table: ``rows`` are sequences of cell values in the order of ``headers``."""

    name: str
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    widths: Sequence[float] = ()
    text_columns: frozenset[int] = frozenset()  # indexes (0-based, without 序号) written as text
    totals: Sequence | None = None  # the totals row's cells after "合计", or None for none
    numbered: bool = True
    written: int = field(default=0, init=False)


def sheet_setup(sheet, *, width: int) -> str:
    """The office layout of a ledger sheet: title row 1 and header row 2 frozen and printed on
    every page, A4 landscape fitted to the page's width, the title merged across ``width``
    columns. Returns the last column's letter."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    last = get_column_letter(max(width, 1))
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.merged_cells.add(f"A1:{last}1")
    return last


def workbook_bytes(sheets: Sequence[Sheet], *, unit_name: str, date=None, user=None) -> bytes:
    """Write the sheets into one workbook (write-only mode: rows stream, memory stays flat).
    With ``user``, each sheet carries the exporter's watermark (导出水印: who, when)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from yemai.core.security.watermark import watermark_sheet

    date = date or timezone.localdate()
    book = Workbook(write_only=True)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for spec in sheets:
        sheet = book.create_sheet(spec.name[:31])
        offset = 1 if spec.numbered else 0
        width = len(spec.headers) + offset
        if spec.numbered:
            sheet.column_dimensions["A"].width = 6
        for i, header in enumerate(spec.headers):
            w = spec.widths[i] if i < len(spec.widths) else max(10, len(str(header)) * 2 + 2)
            sheet.column_dimensions[get_column_letter(i + 1 + offset)].width = w
        sheet_setup(sheet, width=width)
        if user is not None:
            watermark_sheet(sheet, user=user)
        heading = WriteOnlyCell(
            sheet,
            value=f"{unit_name} {spec.title}（制表日期：{date.year}年{date.month}月{date.day}日）",
        )
        heading.font = Font(bold=True, size=14)
        heading.alignment = Alignment(horizontal="center")
        sheet.append([heading])
        header_cells = []
        for text in (["序号"] if spec.numbered else []) + list(spec.headers):
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.border = border
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
            header_cells.append(cell)
        sheet.append(header_cells)
        n = 0
        for n, row in enumerate(spec.rows, start=1):
            cells = [n] if spec.numbered else []
            for i, value in enumerate(row):
                value = escape(value)
                if i in spec.text_columns:
                    cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
                    cell.number_format = "@"
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
        spec.written = n
        if spec.totals is not None:
            totals = [WriteOnlyCell(sheet, value="合计")]
            totals += [WriteOnlyCell(sheet, value=escape(v)) for v in spec.totals]
            for cell in totals:
                cell.font = Font(bold=True)
            sheet.append(totals)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_rows(
    content: bytes, *, required: Sequence[str]
) -> tuple[list[str], list[tuple[int, list]]]:
    """The header and the data rows of the first sheet, with each row's number as Excel shows it.

    The header is the first row (of the first ten) that holds every ``required`` header, so a
    file exported with its title row imports again as it is. Raises ValueError when the file
    is not an xlsx workbook or no header row is found; rows after a "合计" row are ignored.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — zip, XML or openpyxl errors alike: not a workbook
        raise ValueError("not an xlsx workbook") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header: list[str] | None = None
    for number, row in enumerate(rows, start=1):
        cells = [str(c).strip() if c is not None else "" for c in row]
        if all(r in cells for r in required):
            header = cells
            break
        if number >= 10:
            break
    if header is None:
        raise ValueError("no header row with " + "、".join(required))
    data = []
    first = number + 1
    for at, row in enumerate(rows, start=first):
        values = list(row)
        if not any(v not in (None, "") for v in values):
            continue
        if values and str(values[0] or "").strip() == "合计":
            break
        data.append((at, values))
    book.close()
    return header, data
