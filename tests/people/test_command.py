import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from tests.factories import make_id_number
from tests.people.conftest import XIMEN1, build_xlsx, resident_rows
from yemai.core.models import AuditEvent
from yemai.people.models import Resident

pytestmark = pytest.mark.django_db


def _file(tmp_path, rows, name="residents.xlsx"):
    path = tmp_path / name
    path.write_bytes(build_xlsx(rows).getvalue())
    return str(path)


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("people", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_file_as_a_named_user(tmp_path, town):
    out, _ = _run("import", "residents", _file(tmp_path, resident_rows(4)), "--as", "dongmen_head")
    assert "4 created" in out
    assert AuditEvent.objects.get(kind="import").user == town.dongmen_head


def test_it_reports_bad_rows_and_changes_nothing(tmp_path, town):
    rows = resident_rows(6)
    rows[5][2] = "123"  # Excel row 7
    path = _file(tmp_path, rows)
    with pytest.raises(CommandError, match="nothing imported"):
        _run("import", "residents", path, "--as", "dongmen_head")
    assert not Resident.objects.filter(name__startswith="居民").exists()
    out, err = _run("import", "residents", path, "--as", "dongmen_head", "--skip-bad-rows")
    assert "row 7 联系电话" in err
    assert "5 created" in out


def test_its_named_users_scope_limits_the_import(tmp_path, town):
    rows = resident_rows(2, grid=XIMEN1)
    with pytest.raises(CommandError):
        _run("import", "residents", _file(tmp_path, rows), "--as", "dongmen_head")
    out, _ = _run("import", "residents", _file(tmp_path, rows))  # set-up context: no limit
    assert "2 created" in out


def test_it_refuses_a_member_and_an_unknown_user(tmp_path, town):
    path = _file(tmp_path, resident_rows(1))
    with pytest.raises(CommandError, match="may not"):
        _run("import", "residents", path, "--as", "dongmen1_member")
    with pytest.raises(CommandError, match="no active user"):
        _run("import", "residents", path, "--as", "nobody")


def test_a_dry_run_writes_nothing(tmp_path, town):
    out, _ = _run("import", "residents", _file(tmp_path, resident_rows(3)), "--dry-run")
    assert "dry run" in out
    assert not Resident.objects.filter(name__startswith="居民").exists()


def test_it_exports_masked_by_default_and_whole_only_when_allowed(tmp_path, town):
    target = tmp_path / "out.xlsx"
    out, _ = _run(
        "export",
        "residents",
        "-o",
        str(target),
        "--as",
        "dongmen_head",
        "--grid",
        "330282001001001",
    )
    assert "wrote 1 residents (masked)" in out
    sheet = load_workbook(target).active
    assert sheet["C3"].value == "330***********" + make_id_number(11)[-4:]
    _run("export", "residents", "-o", str(target), "--as", "dongmen_head", "--unmasked")
    assert load_workbook(target).active["C3"].value == make_id_number(11)
    with pytest.raises(CommandError, match="may not"):
        _run("export", "residents", "-o", str(target), "--as", "dongmen1_leader", "--unmasked")
    with pytest.raises(CommandError, match="scope"):
        _run("export", "residents", "-o", str(target), "--as", "dongmen_head", "--grid", XIMEN1)
    assert AuditEvent.objects.filter(kind="export").count() == 2


def test_the_help_texts_explain_each_action(capsys):
    from yemai.cli import main

    with pytest.raises(SystemExit):
        main(["people", "import", "--help"])
    text = capsys.readouterr().out
    assert "--skip-bad-rows" in text and "--key" in text and "--as USERNAME" in text
    with pytest.raises(SystemExit):
        main(["people", "export", "--help"])
    assert "--unmasked" in capsys.readouterr().out
