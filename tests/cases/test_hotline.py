"""12345 hotline import: xlsx or CSV (UTF-8 or GBK) tickets become cases, once."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import Workbook

from yemai.cases.choices import Source, State
from yemai.cases.hotline import hotline_import
from yemai.cases.models import Case
from yemai.core.models import AuditEvent
from yemai.grids.coords import wgs84_to_gcj02

HEADER = ["工单编号", "来电时间", "诉求内容", "地址", "经度", "纬度", "坐标系", "事件类型", "来电人", "联系电话"]  # fmt: skip
GCJ_DONGMEN1 = tuple(float(v) for v in wgs84_to_gcj02(121.205, 30.205))
ROWS = [
    [
        "GD0001",
        "2026-03-02 09:15:00",
        "店门口占道摆摊",
        "东门路1号",
        "121.21",
        "30.21",
        "",
        "0203",
        "王先生",
        "13800138000",
    ],  # fmt: skip
    [
        "GD0002",
        "2026/3/2 10:00",
        "路边垃圾没人清",
        "城外村口",
        "121.5",
        "30.5",
        "wgs84",
        "暴露垃圾",
        "李女士",
        "0574-63012345",
    ],  # fmt: skip
    [
        "GD0003",
        "2026年3月2日 11时05分",
        "乱堆物料",
        "东门路",
        *map(str, GCJ_DONGMEN1),
        "gcj02",
        "市容环境/乱堆物料",
        "",
        "",
    ],  # fmt: skip
]


def xlsx(rows, header=HEADER, title=True) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append(["12345 热线工单导出"])  # a title row above the header, as exports have
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8", header=HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def local(*args):
    return timezone.make_aware(dt.datetime(*args))


def test_it_imports_an_xlsx_and_routes_each_ticket(loop_town):
    report = hotline_import(file=xlsx(ROWS), user=loop_town.operator, filename="工单.xlsx")

    assert report.ok and report.applied
    assert (report.rows, report.created, report.to_centre) == (3, 3, 1)
    first = Case.objects.get(idempotency_key="12345:GD0001")
    assert first.source == Source.HOTLINE
    assert first.grid == loop_town.dongmen1 and first.state == State.DISPATCHED
    assert first.reported_at == local(2026, 3, 2, 9, 15)
    assert (first.reporter_name, first.reporter_phone) == ("王先生", "13800138000")
    assert first.category == loop_town.stall
    # Outside every grid: not an error, the case waits in the centre's queue.
    outside = Case.objects.get(idempotency_key="12345:GD0002")
    assert outside.grid == loop_town.town and outside.state == State.REPORTED
    assert outside.reporter_phone == "0574-63012345"  # a landline is kept
    assert outside.category.name == "暴露垃圾"
    # GCJ-02 input is converted on entry.
    third = Case.objects.get(idempotency_key="12345:GD0003")
    assert third.input_crs == "gcj02" and third.grid == loop_town.dongmen1
    assert abs(third.lon - 121.205) < 1e-5 and abs(third.lat - 30.205) < 1e-5
    assert third.reported_at == local(2026, 3, 2, 11, 5)
    audit = AuditEvent.objects.get(kind="import", object_type="cases.case")
    assert audit.detail["created"] == 3 and audit.user == loop_town.operator


def test_importing_the_same_tickets_again_creates_nothing_new(loop_town):
    hotline_import(file=xlsx(ROWS), user=loop_town.operator)
    again = hotline_import(file=csv_bytes(ROWS), user=loop_town.operator)
    assert again.ok and (again.created, again.existing) == (0, 3)
    assert Case.objects.count() == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_reads_csv_in_utf8_or_gbk(loop_town, encoding):
    report = hotline_import(file=csv_bytes(ROWS, encoding), user=loop_town.operator)
    assert report.ok and report.created == 3
    assert Case.objects.get(idempotency_key="12345:GD0001").description == "店门口占道摆摊"


def test_every_bad_row_is_reported_and_nothing_is_written(loop_town):
    good = ROWS[0]
    bad = [
        good,
        ["GD0010", "2026-03-02 09:00", "x", "", "121.21", "30.21", "", "9999", "", ""],
        ["GD0011", "2026-03-02 09:00", "x", "", "121.2x", "30.21", "", "0203", "", ""],
        ["GD0012", "2026-03-02 09:00", "x", "", "121.21", "", "", "0203", "", ""],
        ["GD0013", "2026-03-02 09:00", "x", "", "30.21", "121.21", "", "0203", "", ""],
        ["GD0014", "昨天上午", "x", "东门路", "", "", "", "0203", "", ""],
        ["GD0001", "2026-03-02 09:00", "x", "东门路", "", "", "", "0203", "", ""],
        ["GD0016", "2026-03-02 09:00", "x", "", "121.21", "30.21", "mars", "0203", "", ""],
        ["GD0017", "2026-03-02 09:00", "x", "东门路", "", "", "", "0203", "", "12345"],
        ["GD0018", "2026-03-02 09:00", "", "", "", "", "", "0203", "", ""],
        ["", "2026-03-02 09:00", "x", "东门路", "", "", "", "0203", "", ""],
        ["GD0020", "2099-01-01 09:00", "x", "东门路", "", "", "", "0203", "", ""],
    ]
    report = hotline_import(file=xlsx(bad), user=loop_town.operator)

    assert not report.applied and report.created == 0
    assert Case.objects.count() == 0
    found = {(e.row, e.column): e.message for e in report.errors}
    # The title row is row 1 and the header row 2: data starts on row 3.
    assert "Unknown category 9999" in found[(4, "事件类型")]
    assert "121.2x is not a number" in found[(5, "经度")]
    assert "Give both longitude and latitude" in found[(6, "纬度")]
    assert "swapped" in found[(7, "经度")]
    assert "昨天上午 is not a date and time" in found[(8, "来电时间")]
    assert "Same ticket number as row 3" in found[(9, "工单编号")]
    assert "Unknown coordinate system mars" in found[(10, "坐标系")]
    assert "12345 is neither a mobile nor a landline" in found[(11, "联系电话")]
    assert "Say what the problem is" in found[(12, "诉求内容")]
    assert "The ticket number is empty" in found[(13, "工单编号")]
    assert "future" in found[(14, "来电时间")]
    assert report.bad_rows == 11
    assert "row 4 事件类型: Unknown category 9999" in [str(e) for e in report.errors]


def test_skip_bad_rows_writes_the_good_ones(loop_town):
    rows = [*ROWS, ["GD0009", "2026-03-02 09:00", "x", "", "abc", "30.21", "", "0203", "", ""]]
    report = hotline_import(file=xlsx(rows), user=loop_town.operator, skip_bad_rows=True)
    assert report.applied and report.created == 3 and report.skipped == 1
    assert [e.row for e in report.errors] == [6]
    assert Case.objects.count() == 3


def test_a_dry_run_checks_everything_and_writes_nothing(loop_town):
    report = hotline_import(file=xlsx(ROWS), user=loop_town.operator, dry_run=True)
    assert report.ok and report.created == 3 and not report.applied
    assert Case.objects.count() == 0
    assert not AuditEvent.objects.filter(kind="import").exists()


def test_a_category_is_found_by_code_name_or_main_and_sub_name(loop_town):
    rows = [
        ["A1", "2026-03-02 09:00", "x", "东门路", "", "", "", "0203", "", ""],
        ["A2", "2026-03-02 09:00", "x", "东门路", "", "", "", "占道经营", "", ""],
        ["A3", "2026-03-02 09:00", "x", "东门路", "", "", "", "街面秩序 / 占道经营", "", ""],
    ]
    assert hotline_import(file=xlsx(rows), user=loop_town.operator).created == 3
    assert set(Case.objects.values_list("category__code", flat=True)) == {"0203"}


def test_a_member_may_not_import_tickets(loop_town):
    with pytest.raises(PermissionDenied):
        hotline_import(file=xlsx(ROWS), user=loop_town.dongmen1_member)


def test_a_village_point_outside_the_importers_scope_is_a_bad_row(loop_town):
    from tests.factories import make_user
    from yemai.accounts.roles import Role

    ximen_centre = make_user("ximen_operator", Role.CENTRE_OPERATOR, loop_town.ximen)
    report = hotline_import(file=xlsx(ROWS[:1]), user=ximen_centre)
    assert not report.applied
    assert "outside your scope" in report.errors[0].message


def test_a_file_without_the_required_columns_is_refused(loop_town):
    report = hotline_import(file=xlsx([["1", "x"]], header=["工单编号", "诉求内容"]), user=None)
    assert "来电时间, 事件类型" in report.errors[0].message


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
    ],
)
def test_a_file_that_is_neither_xlsx_nor_csv_is_refused(loop_town, data):
    with pytest.raises(ValidationError):
        hotline_import(file=data, user=None)


def test_the_command_imports_and_then_finds_nothing_new(loop_town, tmp_path, capsys):
    path = tmp_path / "tickets.csv"
    path.write_bytes(csv_bytes(ROWS, "gbk"))
    call_command("cases", "import-hotline", str(path), "--as", "operator", "--no-progress")
    assert "3 new cases (1 to the centre's queue)" in capsys.readouterr().out
    call_command("cases", "import-hotline", str(path), "--no-progress")
    assert "0 new cases (0 to the centre's queue), 3 imported before" in capsys.readouterr().out


def test_the_command_fails_on_bad_rows_naming_them(loop_town, tmp_path, capsys):
    path = tmp_path / "tickets.csv"
    path.write_bytes(
        csv_bytes([*ROWS, ["X9", "2026-03-02 09:00", "x", "路", "", "", "", "zz", "", ""]])
    )
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("cases", "import-hotline", str(path), "--no-progress")
    assert "row 5 事件类型: Unknown category zz" in capsys.readouterr().err
    assert Case.objects.count() == 0
