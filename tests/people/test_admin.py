import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.factories import make_id_number
from tests.people.conftest import build_xlsx, resident_rows
from yemai.core.models import AuditEvent
from yemai.core.tasks import Runner
from yemai.people.models import ImportJob, Resident, Tag

pytestmark = pytest.mark.django_db

LIST = "/admin/people/resident/"
WHOLE_ID = make_id_number(11)
WHOLE_PHONE = "13812345678"


def _change(resident):
    return f"{LIST}{resident.pk}/change/"


def test_the_list_is_scoped_and_masked(client_as, town):
    html = client_as(town.dongmen_head).get(LIST).content.decode()
    assert "张三" in html and "赵六" in html
    assert "李四" not in html  # sibling village
    assert "钱七" not in html  # restricted tag not granted
    assert "330***********" + WHOLE_ID[-4:] in html
    assert "138****5678" in html
    assert WHOLE_ID not in html and WHOLE_PHONE not in html


def test_it_searches_by_exact_id_number_through_the_hash(client_as, town):
    client = client_as(town.town_head)
    found = client.get(LIST, {"q": WHOLE_ID}).content.decode()
    assert "张三" in found and "赵六" not in found
    partial = client.get(LIST, {"q": WHOLE_ID[:12]}).content.decode()
    assert "张三" not in partial
    by_name = client.get(LIST, {"q": "赵"}).content.decode()
    assert "赵六" in by_name and "张三" not in by_name


def test_it_filters_by_registration_and_tag(client_as, town):
    town.resident_dongmen2.tags.add(Tag.objects.get(name="低保"))
    client = client_as(town.town_head)
    html = client.get(LIST, {"tag": "低保"}).content.decode()
    assert "赵六" in html and "张三" not in html
    html = client.get(LIST, {"registration__exact": "migrant"}).content.decode()
    assert "赵六" not in html


@pytest.mark.parametrize("username", ["dongmen_head", "dongmen1_leader", "dongmen1_member"])
def test_the_change_page_never_renders_whole_values(client_as, town, username):
    user = getattr(town, username)
    response = client_as(user).get(_change(town.resident_dongmen1))
    assert response.status_code == 200
    html = response.content.decode()
    assert "138****5678" in html
    assert WHOLE_ID not in html and WHOLE_PHONE not in html


def test_the_change_page_offers_show_whole_only_to_roles_that_may(client_as, town):
    reveal = f"{LIST}{town.resident_dongmen1.pk}/reveal/"
    assert (
        reveal in client_as(town.dongmen_head).get(_change(town.resident_dongmen1)).content.decode()
    )
    assert (
        reveal
        not in client_as(town.dongmen1_leader).get(_change(town.resident_dongmen1)).content.decode()
    )


def test_the_change_page_is_404_outside_the_scope_and_for_restricted_people(client_as, town):
    assert client_as(town.ximen_head).get(_change(town.resident_dongmen1)).status_code == 404
    assert client_as(town.dongmen_head).get(_change(town.restricted_dongmen1)).status_code == 404


def test_show_whole_three_ways_and_its_audit_row(client, client_as, town):
    url = f"{LIST}{town.resident_dongmen1.pk}/reveal/"
    assert client.get(url).status_code == 302  # to the login page
    assert client_as(town.dongmen1_leader).get(url).status_code == 403
    assert client_as(town.ximen_head).get(url).status_code == 404
    response = client_as(town.dongmen_head).get(url)
    html = response.content.decode()
    assert WHOLE_ID in html and WHOLE_PHONE in html
    event = AuditEvent.objects.get(kind="view_pii")
    assert event.user == town.dongmen_head
    assert event.detail == {"fields": ["id_number", "phone"]}


def test_adding_goes_through_the_rules(client_as, town):
    client = client_as(town.dongmen1_leader)
    data = {
        "name": "新人",
        "id_number_new": WHOLE_ID,  # a duplicate
        "phone_new": "",
        "grid": town.dongmen1.pk,
        "registration": "household",
    }
    response = client.post(f"{LIST}add/", data)
    assert response.status_code == 200
    assert "A resident with this ID number already exists" in response.content.decode()
    data["id_number_new"] = make_id_number(900)
    data["phone_new"] = "13900009000"
    response = client.post(f"{LIST}add/", data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    person = Resident.objects.get(name="新人")
    assert person.phone == "13900009000" and person.birth_date is not None


def test_changing_keeps_the_stored_number_and_refuses_a_grid_outside_the_scope(client_as, town):
    client = client_as(town.dongmen_head)
    data = {
        "name": "张三",
        "id_number_new": "",
        "phone_new": "13700001111",
        "grid": town.dongmen2.pk,
        "registration": "household",
    }
    assert client.post(_change(town.resident_dongmen1), data).status_code == 302
    person = Resident.objects.get(pk=town.resident_dongmen1.pk)
    assert person.id_number == WHOLE_ID and person.phone == "13700001111"
    assert person.grid == town.dongmen2
    data["grid"] = town.ximen1.pk
    response = client.post(_change(town.resident_dongmen1), data)
    assert response.status_code == 200  # the form again, with the error
    assert Resident.objects.get(pk=town.resident_dongmen1.pk).grid == town.dongmen2


def test_a_member_may_look_but_not_change(client_as, town):
    client = client_as(town.dongmen1_member)
    html = client.get(_change(town.resident_dongmen1)).content.decode()
    assert 'name="phone_new"' not in html
    assert client.post(_change(town.resident_dongmen1), {"name": "x"}).status_code == 403


def test_tags_are_read_only_but_for_an_unrestricted_superuser(client_as, town):
    tag = Tag.objects.get(name="低保")
    url = f"/admin/people/tag/{tag.pk}/change/"
    assert client_as(town.town_head).post(url, {"name": "改", "restricted": ""}).status_code == 403
    root = get_user_model().objects.create_superuser("root", password="x-Yemai-2026")
    response = client_as(root).post(url, {"name": "低保户"})
    assert response.status_code == 302
    assert Tag.objects.filter(name="低保户").exists()


def test_the_import_page_checks_reports_and_imports_on_confirm(client_as, town):
    client = client_as(town.dongmen_head)
    url = f"{LIST}import/"
    assert client.get(url).status_code == 200
    rows = resident_rows(6)
    rows[3][1] = rows[3][1][:-1] + ("1" if rows[3][1][-1] != "1" else "2")
    checking = client.post(url, {"file": build_xlsx(rows)})
    assert checking.status_code == 302  # the check runs in the background
    assert Runner().run_due() == 1
    bad = client.get(checking["Location"]).content.decode()
    assert "公民身份号码" in bad and ">5<" in bad
    assert 'name="confirm"' not in bad and "Nothing has been changed" in bad
    checking = client.post(url, {"file": build_xlsx(resident_rows(6))})
    Runner().run_due()
    good = client.get(checking["Location"]).content.decode()
    assert "To create: 6" in good and 'name="confirm"' in good
    assert not Resident.objects.filter(name__startswith="居民").exists()
    done = client.post(checking["Location"], {"confirm": "1"})
    assert done.status_code == 302 and re.search(r"/import/\d+/$", done["Location"])
    assert not Resident.objects.filter(name__startswith="居民").exists()  # in the background
    assert Runner().run_due() == 1
    assert Resident.objects.filter(name__startswith="居民").count() == 6
    again = client.post(checking["Location"], {"confirm": "1"}, follow=True)  # used once
    assert "can no longer be confirmed" in again.content.decode()
    assert Runner().run_due() == 0


def test_the_import_page_refuses_a_file_that_is_not_a_workbook_or_a_bad_key(client_as, town):
    client = client_as(town.dongmen_head)
    url = f"{LIST}import/"
    text = SimpleUploadedFile("ledger.xlsx", "姓名,公民身份号码\n".encode())
    response = client.post(url, {"file": text})
    assert response.status_code == 400
    assert "The file is not an Excel workbook (.xlsx)" in response.content.decode()
    response = client.post(url, {"file": build_xlsx(resident_rows(1)), "key": "标签"})
    assert (
        response.status_code == 400 and "Cannot key residents by 标签" in response.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_the_import_page_refuses_a_member(client_as, town):
    assert client_as(town.dongmen1_member).get(f"{LIST}import/").status_code == 403


def test_the_export_link_downloads_a_masked_ledger_and_audits_it(client_as, town):
    response = client_as(town.dongmen_head).get(f"{LIST}export/")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["C3"].value.startswith("330***")
    assert AuditEvent.objects.get(kind="export").detail["unmasked"] is False
    assert (
        client_as(town.dongmen1_leader).get(f"{LIST}export/", {"unmasked": "1"}).status_code == 403
    )


def test_house_and_organisation_pages_mask_and_save_through_services(client_as, town):
    client = client_as(town.dongmen_head)
    response = client.post(
        "/admin/people/house/add/",
        {"code": "DM-9", "address_new": "东门路9号", "lon": "121.21", "lat": "30.23", "use": "own"},
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    house = town.dongmen2.houses.get()
    html = client.get(f"/admin/people/house/{house.pk}/change/").content.decode()
    assert "东门路*号" in html and "东门路9号" not in html
    response = client.post(
        "/admin/people/organisation/add/",
        {
            "name": "东门网吧",
            "kind": "internet_cafe",
            "lon": "121.21",
            "lat": "30.21",
            "credit_code": "",
            "address": "",
            "contact_name": "",
            "contact_phone_new": "13811112222",
        },
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    html = client.get("/admin/people/organisation/").content.decode()
    assert "138****2222" in html and "13811112222" not in html
