import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import make_id_number
from tests.people.conftest import DONGMEN1, DONGMEN2, XIMEN1, build_xlsx, resident_rows
from yemai.core.models import AuditEvent
from yemai.people.importers import import_xlsx
from yemai.people.models import House, Household, Resident

pytestmark = pytest.mark.django_db


def _import(user, rows, **kwargs):
    return import_xlsx(kind="residents", file=build_xlsx(rows), user=user, **kwargs)


def _exact_float_id() -> str:
    """An ID number a double holds exactly (so a numeric cell of it is still exact)."""
    for seq in range(1000):
        number = make_id_number(seq, "19900101")
        if number[-1] != "X" and not number.endswith("000") and int(float(number)) == int(number):
            return number
    raise AssertionError("no exactly representable ID number found")


def test_it_imports_a_good_file_and_reports_the_counts(town):
    report = _import(town.dongmen_head, resident_rows(6))
    assert report.ok and report.applied
    assert (report.rows, report.created, report.updated) == (6, 6, 0)
    person = Resident.objects.get(name="居民0")
    assert person.grid == town.dongmen1
    assert person.birth_date.year == 1990


def test_it_updates_instead_of_duplicating_when_the_same_file_comes_twice(town):
    rows = resident_rows(6)
    _import(town.dongmen_head, rows)
    rows[0][2] = "13911110000"
    report = _import(town.dongmen_head, rows)
    assert (report.created, report.updated) == (0, 6)
    assert Resident.objects.filter(name__startswith="居民").count() == 6
    assert Resident.objects.get(name="居民0").phone == "13911110000"


def test_it_reports_every_bad_row_with_its_excel_row_number_and_changes_nothing(town):
    rows = resident_rows(8)
    rows[3][1] = rows[3][1][:-1] + ("1" if rows[3][1][-1] != "1" else "2")  # Excel row 5
    rows[5][2] = "1234567"  # Excel row 7
    report = _import(town.dongmen_head, rows)
    assert not report.applied
    found = [(e.row, e.column) for e in report.errors]
    assert found == [(5, "公民身份号码"), (7, "联系电话")]
    assert "GB 11643" in report.errors[0].message
    assert "mobile" in report.errors[1].message
    assert not Resident.objects.filter(name__startswith="居民").exists()
    assert (report.created, report.updated) == (0, 0)


def test_it_writes_the_good_rows_when_asked_to_skip_bad_ones(town):
    rows = resident_rows(8)
    rows[3][1] = "330282199001010000"
    rows[5][2] = "1234567"
    report = _import(town.dongmen_head, rows, skip_bad_rows=True)
    assert report.applied
    assert (report.created, report.skipped) == (6, 2)
    assert Resident.objects.filter(name__startswith="居民").count() == 6


def test_it_refuses_id_numbers_excel_turned_into_numbers(town):
    rows = resident_rows(2)
    rows[0][1] = float(rows[0][1])  # what Excel does to an 18-digit number typed as a number
    rows[1][1] = 3.30282199001010e17  # Excel's 15 significant digits
    report = _import(town.dongmen_head, rows)
    assert [e.row for e in report.errors] == [2, 3]
    assert all("stored as a number" in e.message for e in report.errors)
    assert all("15 digits" in e.message for e in report.errors)


def test_it_accepts_a_numeric_id_cell_that_is_still_exact(town):
    number = _exact_float_id()
    rows = [["精确", float(number), "", DONGMEN1, "户籍", "", "", ""]]
    report = _import(town.dongmen_head, rows)
    assert report.ok, report.errors
    assert Resident.objects.get(name="精确").id_number == number


def test_it_makes_rows_outside_the_importers_scope_bad_rows(town):
    rows = resident_rows(2)
    rows[1][3] = XIMEN1
    report = _import(town.dongmen_head, rows)
    assert [(e.row, e.column) for e in report.errors] == [(3, "所属微网格")]
    assert "scope" in report.errors[0].message


def test_it_refuses_to_update_a_person_outside_the_scope_as_a_duplicate(town):
    rows = [["李四", make_id_number(31, "19750512"), "", DONGMEN1, "户籍", "", "", ""]]
    report = _import(town.dongmen_head, rows)
    assert report.errors[0].message == "A resident with this ID number already exists"
    assert Resident.objects.get(name="李四").grid == town.ximen1


def test_it_reads_tags_households_registrations_and_english_headers(town):
    headers = ["name", "id_number", "phone", "grid", "registration", "household", "house", "tags"]
    rows = [
        ["甲", make_id_number(601), "", DONGMEN2, "流动", "H-9", "", "独居老人、低保"],
        ["乙", make_id_number(602), "", DONGMEN2, "户籍", "H-9", "", "残疾,低保"],
    ]
    report = import_xlsx(
        kind="residents",
        file=build_xlsx(rows, headers, title="东门社区实有人口"),
        user=town.dongmen_head,
    )
    assert report.ok, report.errors
    first = Resident.objects.get(name="甲")
    assert first.registration == "migrant"
    assert sorted(t.name for t in first.tags.all()) == ["低保", "独居老人"]
    assert Household.objects.get(number="H-9").members.count() == 2


def test_it_reports_a_duplicate_key_inside_one_file(town):
    rows = resident_rows(2)
    rows[1][1] = rows[0][1]
    report = _import(town.dongmen_head, rows)
    assert report.errors[0].row == 3
    assert "row 2" in report.errors[0].message


def test_it_updates_by_a_key_the_user_names(town):
    rows = resident_rows(1)
    _import(town.dongmen_head, rows)
    rows[0][0] = "改名"
    report = _import(town.dongmen_head, rows, key="联系电话")
    assert (report.key, report.updated) == ("phone", 1)
    assert Resident.objects.filter(name="改名").count() == 1


def test_it_writes_nothing_on_a_dry_run(town):
    report = _import(town.dongmen_head, resident_rows(3), dry_run=True)
    assert report.created == 3 and not report.applied
    assert not Resident.objects.filter(name__startswith="居民").exists()


def test_it_audits_each_import(town):
    _import(town.dongmen_head, resident_rows(2))
    event = AuditEvent.objects.get(kind="import")
    assert event.user == town.dongmen_head
    assert event.detail["created"] == 2 and event.detail["applied"] is True


def test_it_refuses_an_import_by_a_member(town):
    with pytest.raises(PermissionDenied):
        _import(town.dongmen1_member, resident_rows(1))


def test_it_refuses_a_file_that_is_not_a_workbook(town):
    with pytest.raises(ValidationError) as exc:
        import_xlsx(
            kind="residents", file=__import__("io").BytesIO(b"not xlsx"), user=town.dongmen_head
        )
    assert "file" in exc.value.message_dict


def test_it_imports_houses_keyed_by_house_code(town):
    headers = ["房屋编号", "地址", "经度", "纬度", "所属微网格", "使用情况", "房东公民身份号码"]
    rows = [
        ["F-1", "东门路1号", 121.21, 30.21, "", "出租", make_id_number(11)],
        ["F-2", "东门路2号", None, None, DONGMEN2, "自住", ""],
    ]
    report = import_xlsx(kind="houses", file=build_xlsx(rows, headers), user=town.dongmen_head)
    assert report.ok, report.errors
    rows[1][1] = "东门路2号之一"
    report = import_xlsx(kind="houses", file=build_xlsx(rows, headers), user=town.dongmen_head)
    assert (report.created, report.updated) == (0, 2)
    assert House.objects.get(code="F-2").address == "东门路2号之一"
    assert House.objects.get(code="F-1").landlord == town.resident_dongmen1


def test_it_imports_households_and_organisations(town):
    house_rows = [["F-3", "东门路3号", "", "", DONGMEN1, "自住", ""]]
    import_xlsx(
        kind="houses",
        file=build_xlsx(
            house_rows,
            ["房屋编号", "地址", "经度", "纬度", "所属微网格", "使用情况", "房东公民身份号码"],
        ),
        user=town.dongmen_head,
    )
    report = import_xlsx(
        kind="households",
        file=build_xlsx([["H-1", "", "F-3"]], ["户号", "所属微网格", "房屋编号"]),
        user=town.dongmen_head,
    )
    assert report.ok, report.errors
    assert Household.objects.get(number="H-1").grid == town.dongmen1
    headers = ["名称", "类型", "统一社会信用代码", "地址", "经度", "纬度", "联系人", "联系电话"]
    rows = [
        ["东门超市", "商铺", "91350100M000100Y43", "东门路5号", 121.21, 30.21, "周", "13811112222"],
        ["坏店", "商铺", "91350100M000100Y44", "东门路6号", 121.21, 30.21, "", ""],
    ]
    report = import_xlsx(
        kind="organisations", file=build_xlsx(rows, headers), user=town.dongmen_head
    )
    assert [(e.row, e.column) for e in report.errors] == [(3, "统一社会信用代码")]
