"""The audit log as an xlsx workbook (the audit administrator's export), watermarked."""

from __future__ import annotations

import io
import json

from django.utils import timezone

from .audit import audit_record
from .security.watermark import watermark_sheet
from .xlsx import FORMULA_START

HEADERS = [
    "序号 #",
    "时间 time",
    "用户 user",
    "地址 address",
    "事件 event",
    "对象 object",
    "对象编号 id",
    "结果 outcome",
    "详情 detail",
    "哈希 hash",
]


def safe_cell(value) -> str:
    """Text for a cell: never a formula (a leading ' when it starts with = + - @)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def audit_export_xlsx(queryset, *, user) -> tuple[bytes, int]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("audit")
    mark = watermark_sheet(sheet, user=user)
    sheet.append([f"叶脉 Yemai 审计日志 audit log  {mark}"])
    sheet.append(HEADERS)
    count = 0
    for event in queryset.iterator(chunk_size=2000):
        count += 1
        sheet.append(
            [
                event.pk,
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                safe_cell(event.username),
                safe_cell(event.ip),
                event.kind,
                safe_cell(event.object_type),
                safe_cell(event.object_id),
                safe_cell(event.outcome),
                safe_cell(json.dumps(event.detail, ensure_ascii=False)),
                event.hash,
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    audit_record(user=user, kind="export", object_type="core.auditevent", detail={"rows": count})
    return out.getvalue(), count
