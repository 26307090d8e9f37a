"""Helpers for the people tests: xlsx files built with openpyxl, and signed-in clients."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from tests.factories import make_id_number

RESIDENT_HEADERS = [
    "姓名",
    "公民身份号码",
    "联系电话",
    "所属微网格",
    "户籍类型",
    "户号",
    "房屋编号",
    "标签",
]
DONGMEN1 = "330282001001001"
DONGMEN2 = "330282001001002"
XIMEN1 = "330282001002001"


def build_xlsx(
    rows: list[list], headers: list[str] | None = None, title: str | None = None
) -> io.BytesIO:
    """An xlsx file in memory: an optional title row, the header row, then ``rows``."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(headers or RESIDENT_HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "ledger.xlsx"
    return buffer


def resident_rows(count: int = 6, start: int = 500, grid: str = DONGMEN1) -> list[list]:
    """Good resident rows, Excel rows 2.. (header is row 1)."""
    return [
        [
            f"居民{i}",
            make_id_number(start + i, "19900101"),
            f"1390000{start + i:04d}",
            grid,
            "户籍",
            "",
            "",
            "",
        ]
        for i in range(count)
    ]


@pytest.fixture
def client_as(client):
    """``client_as(user)``: the Django test client signed in as ``user``."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
