import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import make_id_number
from yemai.core.models import AuditEvent
from yemai.people import services
from yemai.people.exporters import export_xlsx
from yemai.people.importers import import_xlsx
from yemai.people.models import Resident

pytestmark = pytest.mark.django_db


def _sheet(result):
    return load_workbook(io.BytesIO(result.content)).active


def _column(sheet, header):
    headers = [c.value for c in sheet[2]]
    return headers.index(header) + 1


def test_it_writes_a_ledger_as_a_grid_office_prints_it(town):
    result = export_xlsx(kind="residents", user=town.dongmen_head)
    sheet = _sheet(result)
    today = timezone.localdate()
    title = sheet["A1"].value
    assert "东门社区" in title and "实有人口台账" in title
    assert f"{today.year}年{today.month}月{today.day}日" in title
    assert sheet["A2"].value == "序号"
    assert sheet.freeze_panes == "A3"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4  # "9": A4
    assert sheet.print_title_rows == "$2:$2"
    # 张三 and 赵六 (钱七 is under a restricted tag, 李四 in the sibling village)
    assert [sheet.cell(row=r, column=2).value for r in (3, 4)] == ["张三", "赵六"]
    assert [sheet.cell(row=r, column=1).value for r in (3, 4)] == [1, 2]
    assert sheet["A5"].value == "合计" and sheet["B5"].value == "共 2 人"
    assert result.rows == 2


def test_it_masks_id_numbers_and_phones_and_writes_them_as_text(town):
    sheet = _sheet(export_xlsx(kind="residents", user=town.dongmen_head))
    id_cell = sheet.cell(row=3, column=_column(sheet, "公民身份号码"))
    phone_cell = sheet.cell(row=3, column=_column(sheet, "联系电话"))
    assert id_cell.value == "330***********" + make_id_number(11)[-4:]
    assert id_cell.number_format == "@" and id_cell.data_type == "s"
    assert phone_cell.value == "138****5678"


def test_it_writes_whole_values_only_when_allowed_and_asked(town):
    sheet = _sheet(export_xlsx(kind="residents", user=town.dongmen_head, unmasked=True))
    id_cell = sheet.cell(row=3, column=_column(sheet, "公民身份号码"))
    assert id_cell.value == make_id_number(11)
    assert id_cell.number_format == "@" and isinstance(id_cell.value, str)
    with pytest.raises(PermissionDenied):
        export_xlsx(kind="residents", user=town.dongmen1_leader, unmasked=True)


def test_it_audits_every_export_with_rows_and_unmasked(town):
    export_xlsx(kind="residents", user=town.dongmen_head, unmasked=True)
    event = AuditEvent.objects.get(kind="export")
    assert event.user == town.dongmen_head
    assert event.detail["rows"] == 2 and event.detail["unmasked"] is True


def test_it_escapes_cells_that_would_run_as_formulas(town):
    services.resident_create(
        grid=town.dongmen1, name="=HYPERLINK(1)", id_number=make_id_number(700)
    )
    sheet = _sheet(export_xlsx(kind="residents", user=town.dongmen_head))
    names = [sheet.cell(row=r, column=2).value for r in range(3, 6)]
    assert "'=HYPERLINK(1)" in names
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_it_limits_the_export_to_a_grid_inside_the_scope(town):
    result = export_xlsx(kind="residents", user=town.dongmen_head, grid=town.dongmen2.code)
    assert result.rows == 1
    assert "东门社区第2微网格" in _sheet(result)["A1"].value
    with pytest.raises(ValidationError):
        export_xlsx(kind="residents", user=town.dongmen_head, grid=town.ximen1.code)


def test_it_refuses_an_export_by_a_member(town):
    with pytest.raises(PermissionDenied):
        export_xlsx(kind="residents", user=town.dongmen1_member)


def test_an_unmasked_export_imports_again_as_updates(town):
    result = export_xlsx(kind="residents", user=town.town_head, unmasked=True)
    report = import_xlsx(kind="residents", file=io.BytesIO(result.content), user=town.town_head)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (0, 3)
    assert Resident.objects.count() == 4


def test_it_exports_houses_households_and_organisations_masked(town):
    house = services.house_create(code="F-9", address="东门路9号", grid_code=town.dongmen1.code)
    services.household_create(number="H-9", house=house)
    services.resident_update(resident=town.resident_dongmen1, household=house.households.get())
    services.organisation_create(
        name="东门网吧", kind="internet_cafe", lon=121.21, lat=30.21, contact_phone="13811112222"
    )
    houses = _sheet(export_xlsx(kind="houses", user=town.dongmen_head))
    assert houses.cell(row=3, column=_column(houses, "地址")).value == "东门路*号"
    households = _sheet(export_xlsx(kind="households", user=town.dongmen_head))
    assert households.cell(row=3, column=_column(households, "人数")).value == 1
    orgs = _sheet(export_xlsx(kind="organisations", user=town.dongmen_head))
    assert orgs.cell(row=3, column=_column(orgs, "联系电话")).value == "138****2222"
    assert orgs["B4"].value == "共 1 家"
