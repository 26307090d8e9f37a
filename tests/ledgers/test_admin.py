"""The ledgers' admin pages: scoped, masked for roles that may not see whole data, audited."""

from __future__ import annotations

from tests.factories import make_id_number
from yemai.core.models import AuditEvent
from yemai.ledgers import models


def _household(grid, n=1):
    return models.WelfareHousehold.objects.create(
        grid=grid, kind="dibao", head_name=f"户主{n}", id_number=make_id_number(300 + n),
        monthly_amount=800, entered_on="2026-01-01",
    )  # fmt: skip


def test_a_leader_sees_masked_id_numbers_and_a_head_whole_ones_audited(town, client):
    household = _household(town.dongmen1)
    number = household.id_number
    url = f"/admin/ledgers/welfarehousehold/{household.pk}/change/"
    client.force_login(town.dongmen1_leader)
    page = client.get(url).content.decode()
    assert number not in page and number[-4:] in page
    listing = client.get("/admin/ledgers/welfarehousehold/").content.decode()
    assert number not in listing and "户主1" in listing
    client.force_login(town.dongmen_head)
    assert number in client.get(url).content.decode()
    assert AuditEvent.objects.filter(kind="view_pii", object_id=str(household.pk)).exists()


def test_a_row_outside_the_scope_is_a_404(town, client):
    household = _household(town.ximen1)
    client.force_login(town.dongmen_head)
    assert client.get(f"/admin/ledgers/welfarehousehold/{household.pk}/change/").status_code == 404
    assert "户主1" not in client.get("/admin/ledgers/welfarehousehold/").content.decode()


def test_saving_in_the_admin_goes_through_the_service(town, client):
    client.force_login(town.dongmen_head)
    response = client.post("/admin/ledgers/volunteerteam/add/", {
        "grid": town.dongmen.pk, "name": "东门宣讲队", "focus": "宣讲",
        "members-TOTAL_FORMS": 0, "members-INITIAL_FORMS": 0,
    })  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    team = models.VolunteerTeam.objects.get()
    assert AuditEvent.objects.filter(kind="change", object_id=str(team.pk)).exists()
    # A grid outside the scope is not even offered.
    response = client.post("/admin/ledgers/volunteerteam/add/", {
        "grid": town.ximen.pk, "name": "入侵队", "members-TOTAL_FORMS": 0, "members-INITIAL_FORMS": 0,
    })  # fmt: skip
    assert response.status_code == 200 and models.VolunteerTeam.objects.count() == 1


def test_a_member_may_look_but_not_change(town, client):
    _household(town.dongmen1)
    client.force_login(town.dongmen1_member)
    assert client.get("/admin/ledgers/welfarehousehold/").status_code == 200
    assert client.get("/admin/ledgers/welfarehousehold/add/").status_code == 403
