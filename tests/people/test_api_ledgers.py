import io

import pytest
from openpyxl import load_workbook

from tests.people.conftest import build_xlsx, resident_rows
from yemai.core.models import AuditEvent
from yemai.people.models import Resident

pytestmark = pytest.mark.django_db

IMPORT = "/api/people/import/residents"
EXPORT = "/api/people/export/residents.xlsx"


def test_import_three_ways(client, client_as, town):
    assert client.post(IMPORT, {"file": build_xlsx(resident_rows(2))}).status_code == 401
    member = client_as(town.dongmen1_member).post(IMPORT, {"file": build_xlsx(resident_rows(2))})
    assert member.status_code == 403
    sibling = client_as(town.ximen_head).post(IMPORT, {"file": build_xlsx(resident_rows(2))})
    assert sibling.status_code == 400  # every row lands outside the sibling's scope
    assert {e["column"] for e in sibling.json()["errors"]} == {"所属微网格"}
    ok = client_as(town.dongmen_head).post(IMPORT, {"file": build_xlsx(resident_rows(2))})
    assert ok.status_code == 200, ok.content
    assert ok.json()["created"] == 2 and ok.json()["applied"] is True


def test_import_reports_bad_rows_and_skips_them_only_when_asked(client_as, town):
    client = client_as(town.dongmen_head)
    rows = resident_rows(8)
    rows[5][2] = "1234567"  # Excel row 7
    rejected = client.post(IMPORT, {"file": build_xlsx(rows)})
    assert rejected.status_code == 400
    assert rejected.json()["errors"] == [
        {"row": 7, "column": "联系电话", "message": rejected.json()["errors"][0]["message"]}
    ]
    assert not Resident.objects.filter(name__startswith="居民").exists()
    skipped = client.post(IMPORT, {"file": build_xlsx(rows), "skip_bad_rows": "true"})
    assert skipped.status_code == 200 and skipped.json()["created"] == 7


def test_import_of_an_unknown_kind_is_not_found(client_as, town):
    response = client_as(town.dongmen_head).post(
        "/api/people/import/cats", {"file": build_xlsx([])}
    )
    assert response.status_code == 404


def test_export_three_ways_and_the_audit_row(client, client_as, town):
    assert client.get(EXPORT).status_code == 401
    assert client_as(town.dongmen1_member).get(EXPORT).status_code == 403
    outside = client_as(town.ximen_head).get(EXPORT, {"grid": "330282001001001"})
    assert outside.status_code == 400
    response = client_as(town.dongmen_head).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "东门社区" in sheet["A1"].value
    assert sheet["C3"].value.startswith("330***")
    event = AuditEvent.objects.get(kind="export")
    assert event.detail["rows"] == 2 and event.detail["unmasked"] is False


def test_unmasked_export_needs_the_reveal_right(client_as, town):
    assert client_as(town.dongmen1_leader).get(EXPORT, {"unmasked": "true"}).status_code == 403
    response = client_as(town.dongmen_head).get(EXPORT, {"unmasked": "true"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "*" not in sheet["C3"].value
    assert AuditEvent.objects.get(kind="export").detail["unmasked"] is True


def test_export_of_other_ledgers(client_as, town):
    for kind in ("houses", "households", "organisations"):
        response = client_as(town.dongmen_head).get(f"/api/people/export/{kind}.xlsx")
        assert response.status_code == 200, kind
    assert client_as(town.dongmen_head).get("/api/people/export/cats.xlsx").status_code == 404
