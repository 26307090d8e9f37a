"""What every ledger import shares: a bad row, said the way the user sees the file."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# A progress callback: wraps an iterable (with its length) in a bar, or returns it unchanged.
Progress = Callable[[Iterable, int], Iterable]


@dataclass
class RowError:
    """A bad row: its number as Excel shows it (0: the file itself), the column, the reason."""

    row: int
    column: str
    message: str

    def __str__(self):
        where = _("row %(row)s") % {"row": self.row} if self.row else _("file")
        if self.column:
            where = _("%(where)s %(column)s") % {"where": where, "column": self.column}
        return _("%(where)s: %(message)s") % {"where": where, "message": self.message}


# --- Reading a table (xlsx or CSV) -----------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # GBK and GB 2312 are subsets
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("The CSV file is neither UTF-8 nor GBK text")]}) from None


def read_table_rows(data: bytes, *, limit: int) -> list[tuple]:
    """The rows of the first sheet of an xlsx, or of a CSV file (UTF-8 or GBK, delimiter
    sniffed), as tuples of cell values; an xlsx is read to at most ``limit`` rows (the caller
    refuses a longer file by its count). Any other file: ValidationError on ``file``."""
    if data.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook  # noqa: PLC0415

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 — zip, XML and openpyxl errors all mean "not an xlsx"
            raise ValidationError(
                {"file": [_("The file is not an Excel workbook (.xlsx)")]}
            ) from None
        try:
            rows = []
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                rows.append(row)
                if len(rows) > limit:
                    break
            return rows
        finally:
            workbook.close()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            {"file": [_("This is an old Excel file (.xls): save it as .xlsx or CSV")]}
        )
    if b"\x00" in data[:4096]:
        raise ValidationError({"file": [_("The file is neither an xlsx workbook nor CSV text")]})
    text = _decode(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as exc:
        raise ValidationError(
            {"file": [_("The CSV file cannot be read: %(why)s") % {"why": exc}]}
        ) from None
