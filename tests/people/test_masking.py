import logging

import pytest

from tests.factories import make_id_number
from tests.people.conftest import build_xlsx, resident_rows
from yemai.core.models import AuditEvent
from yemai.people import services
from yemai.people.exporters import export_xlsx
from yemai.people.importers import import_xlsx

pytestmark = pytest.mark.django_db

WHOLE_ID = make_id_number(11)


def test_names_and_codes_stand_for_records_never_personal_data(town):
    person = town.resident_dongmen1
    house = services.house_create(code="DM-1", address="东门路12号", grid_code=town.dongmen1.code)
    for text in (str(person), repr(person), str(house), repr(house)):
        assert WHOLE_ID not in text and "13812345678" not in text and "12号" not in text
    assert person.id_number_masked == "330***********" + WHOLE_ID[-4:]
    assert person.phone_masked == "138****5678"
    assert house.address_masked == "东门路**号"


def test_no_log_line_or_audit_detail_holds_a_whole_value(town, caplog, client):
    caplog.set_level(logging.DEBUG)
    rows = resident_rows(3)
    rows[1][2] = "123"
    import_xlsx(kind="residents", file=build_xlsx(rows), user=town.dongmen_head)
    export_xlsx(kind="residents", user=town.dongmen_head, unmasked=True)
    services.resident_delete(resident=town.resident_dongmen1, user=town.dongmen_head)
    client.force_login(town.dongmen_head)
    client.get(f"/api/people/residents/{town.resident_dongmen2.pk}/reveal")
    wholes = [WHOLE_ID, "13812345678", make_id_number(21), "13812340002", rows[0][1], rows[0][2]]
    logged = caplog.text
    details = " ".join(str(e.detail) for e in AuditEvent.objects.all())
    for value in wholes:
        assert value not in logged
        assert value not in details
