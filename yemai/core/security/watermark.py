"""Watermark of exports of personal data: who exported it, and when (导出水印).

``watermark_text`` is the line; ``watermark_sheet`` puts it into an openpyxl worksheet's
printed header and footer (every printed page carries it) and the workbook's properties.
Exporters also write it into their title line, so it shows on screen.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def watermark_text(user, at: datetime | None = None) -> str:
    at = timezone.localtime(at or timezone.now())
    name = getattr(user, "username", "") or "(system)"
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    who = f"{name}（{full}）" if full and full != name else name
    return f"导出人 Exported by: {who}  导出时间 Exported at: {at:%Y-%m-%d %H:%M:%S %z}"


def _escape(text: str) -> str:
    return text.replace("&", "&&")  # & starts a header/footer code in Excel


def watermark_sheet(sheet, *, user, at: datetime | None = None) -> str:
    """Put the watermark in ``sheet``'s header and footer (and the workbook's creator)."""
    text = watermark_text(user, at)
    for part in (sheet.oddHeader, sheet.evenHeader, sheet.firstHeader):
        part.right.text = _escape(text)
        part.right.size = 8
    for part in (sheet.oddFooter, sheet.evenFooter, sheet.firstFooter):
        part.left.text = _escape(text)
        part.left.size = 8
        part.right.text = "&P / &N"
    workbook = getattr(sheet, "parent", None)
    if workbook is not None:
        workbook.properties.creator = getattr(user, "username", "") or "yemai"
        workbook.properties.description = text
    return text
