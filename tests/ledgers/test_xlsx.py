"""Ledgers in and out of Excel: the office layout, masked data, all-or-nothing imports."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from tests.factories import make_id_number
from yemai.core.models import AuditEvent
from yemai.ledgers import models
from yemai.ledgers.exporters import export_xlsx
from yemai.ledgers.importers import import_xlsx


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = [
    "活动类型",
    "活动名称",
    "活动日期",
    "所属网格编码",
    "参加人数",
    "其中五老人数",
    "宣传资料（册）",
]


def test_a_file_with_a_bad_row_stores_nothing_and_names_row_and_column(town):
    content = xlsx([
        HEADER,
        ["普法讲座", "法律进社区", "2026-03-05", town.dongmen1.code, 40, 0, 100],
        ["普法讲座", "=cmd|' /C calc'!A0", "2026-13-05", town.dongmen1.code, "很多", 0, 0],
        ["网吧巡查", "巡查", "2026-04-01", town.ximen1.code, 5, 2, 0],
    ])  # fmt: skip
    result = import_xlsx(kind="activities", user=town.dongmen_head, content=content)
    assert result.created == 0
    where = {(e.row, e.column) for e in result.errors}
    assert (3, "活动日期") in where and (3, "参加人数") in where and (4, "所属网格编码") in where
    assert models.Activity.objects.count() == 0
    skipped = import_xlsx(
        kind="activities", user=town.dongmen_head, content=content, skip_bad_rows=True
    )
    assert skipped.created == 1 and models.Activity.objects.get().title == "法律进社区"


def test_an_export_imports_again_as_it_is(town):
    content = xlsx(
        [HEADER, ["普法讲座", "-普法进社区", "2026/03/05", town.dongmen1.code, 40, 3, 100]]
    )
    assert import_xlsx(kind="activities", user=town.dongmen_head, content=content).created == 1
    exported = export_xlsx(kind="activities", user=town.dongmen_head)
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    assert "东门社区 活动台账" in sheet["A1"].value
    assert sheet.freeze_panes == "A3" and sheet.page_setup.orientation == "landscape"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "序号" and rows[-1][0] == "合计"
    assert rows[2][2] == "'-普法进社区"  # no formula runs in the office's Excel
    models.Activity.objects.all().delete()
    again = import_xlsx(kind="activities", user=town.dongmen_head, content=exported.content)
    assert again.created == 1, again.errors
    again_row = models.Activity.objects.get()
    assert (again_row.participants, again_row.title) == (40, "-普法进社区")
    assert AuditEvent.objects.filter(kind="export", object_type="ledgers.activities").exists()
    assert AuditEvent.objects.filter(kind="import", object_type="ledgers.activities").exists()


def test_exports_mask_personal_data_unless_the_role_may_and_asks(town):
    number = make_id_number(88)
    models.ReliefPayment.objects.create(
        grid=town.dongmen1, name="甲", id_number=number, date="2026-02-01", amount=100, reason="病"
    )
    masked = export_xlsx(kind="relief-payments", user=town.dongmen_head).content
    whole = export_xlsx(kind="relief-payments", user=town.dongmen_head, unmasked=True).content

    def text(content):
        return str(
            list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
        )

    assert number not in text(masked) and number[-4:] in text(masked)
    assert number in text(whole)
    # who exported it and when, printed on every page (导出水印)
    sheet = load_workbook(io.BytesIO(whole)).worksheets[0]
    assert town.dongmen_head.username in sheet.oddHeader.right.text
    assert town.dongmen_head.username in sheet.oddFooter.left.text
    import pytest
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        export_xlsx(kind="relief-payments", user=town.dongmen1_leader, unmasked=True)


def test_an_export_holds_only_the_scope(town):
    models.VolunteerTeam.objects.create(grid=town.dongmen, name="东门队")
    models.VolunteerTeam.objects.create(grid=town.ximen, name="西门队")
    content = export_xlsx(kind="volunteer-teams", user=town.dongmen_head).content
    values = str(list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)))
    assert "东门队" in values and "西门队" not in values


def test_a_file_that_is_not_a_workbook_is_refused_in_words(town):
    result = import_xlsx(kind="activities", user=town.dongmen_head, content=b"not a zip")
    assert result.errors and result.errors[0].row == 0 and "活动类型" in result.errors[0].message


def test_rows_of_child_ledgers_take_their_parents_grid(town):
    models.VolunteerTeam.objects.create(grid=town.dongmen, name="东门队")
    content = xlsx(
        [["所属队伍", "姓名", "是否五老"], ["东门队", "老张", "是"], ["西门队", "老李", "否"]]
    )
    result = import_xlsx(
        kind="volunteers", user=town.dongmen_head, content=content, skip_bad_rows=True
    )
    assert result.created == 1 and [(e.row, e.column) for e in result.errors] == [(3, "所属队伍")]
    member = models.VolunteerMember.objects.get()
    assert member.grid == town.dongmen and member.five_elders
