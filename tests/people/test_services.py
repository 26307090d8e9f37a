import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from tests.factories import make_id_number
from yemai.core.models import AuditEvent
from yemai.people import services
from yemai.people.choices import HouseUse, OrganisationKind, Registration
from yemai.people.models import Household, Organisation, Resident

pytestmark = pytest.mark.django_db

# 91350100M000100Y43 is the sample credit code of GB 32100's appendix.
CREDIT_CODE = "91350100M000100Y43"


def test_it_derives_birth_date_and_sex_from_the_id_number(town):
    person = services.resident_create(
        grid=town.dongmen1,
        name="王五",
        id_number=make_id_number(102, "19851231"),
        phone="+86 138-1234-0000",
        user=town.dongmen_head,
    )
    assert person.birth_date == dt.date(1985, 12, 31)
    assert person.sex == "F"  # sequence 102: even
    assert person.phone == "13812340000"
    assert person.phone_hash == services.phone_hash("13812340000")


def test_it_rejects_a_bad_check_character_naming_the_field(town):
    number = make_id_number(103)
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        services.resident_create(grid=town.dongmen1, name="王五", id_number=bad)
    assert "GB 11643" in exc.value.message_dict["id_number"][0]


def test_it_rejects_a_duplicate_id_number_with_a_clear_message(town):
    with pytest.raises(ValidationError) as exc:
        services.resident_create(grid=town.dongmen2, name="张三", id_number=make_id_number(11))
    assert exc.value.message_dict["id_number"] == ["A resident with this ID number already exists"]


def test_it_accepts_a_foreign_document_number_without_the_gb_check(town):
    person = services.resident_create(
        grid=town.dongmen1,
        name="John Smith",
        id_number="e12345678",
        registration=Registration.FOREIGN,
        birth_date=dt.date(1990, 5, 1),
        sex="M",
    )
    assert person.id_number == "E12345678"
    assert person.birth_date == dt.date(1990, 5, 1)


def test_it_refuses_a_grid_outside_the_users_scope(town):
    with pytest.raises(ValidationError) as exc:
        services.resident_create(
            grid=town.ximen1, name="王五", id_number=make_id_number(104), user=town.dongmen_head
        )
    assert "outside your scope" in exc.value.message_dict["grid"][0]


def test_it_refuses_to_move_a_person_out_of_the_users_scope(town):
    with pytest.raises(ValidationError):
        services.resident_update(
            resident=town.resident_dongmen1, grid=town.ximen1, user=town.dongmen_head
        )
    town.resident_dongmen1.refresh_from_db()
    assert town.resident_dongmen1.grid == town.dongmen1


def test_it_refuses_writes_by_a_member(town):
    with pytest.raises(PermissionDenied):
        services.resident_create(
            grid=town.dongmen1,
            name="王五",
            id_number=make_id_number(105),
            user=town.dongmen1_member,
        )


def test_it_refuses_a_restricted_tag_the_user_was_not_granted(town):
    with pytest.raises(ValidationError) as exc:
        services.resident_set_tags(
            resident=town.resident_dongmen1, names=["吸毒"], user=town.dongmen_head
        )
    assert "restricted" in exc.value.message_dict["tags"][0]
    services.resident_set_tags(
        resident=town.resident_dongmen1, names=["独居老人", "低保"], user=town.dongmen_head
    )
    assert sorted(t.name for t in town.resident_dongmen1.tags.all()) == ["低保", "独居老人"]


def test_it_updates_only_the_fields_given(town):
    person = services.resident_update(
        resident=town.resident_dongmen1, phone="13700000000", user=town.dongmen_head
    )
    person.refresh_from_db()
    assert person.phone == "13700000000"
    assert person.name == "张三"
    assert person.id_number == make_id_number(11)


def test_it_audits_a_deletion_without_the_whole_id_number(town):
    services.resident_delete(resident=town.resident_dongmen1, user=town.dongmen_head)
    event = AuditEvent.objects.get(kind="delete")
    assert make_id_number(11) not in str(event.detail)
    assert event.detail["id_number"].startswith("330***")
    assert not Resident.objects.filter(name="张三").exists()


def test_it_hides_a_restricted_person_from_updates_by_ungranted_users(town):
    with pytest.raises(PermissionDenied):
        services.resident_update(
            resident=town.restricted_dongmen1, name="改名", user=town.dongmen_head
        )


def test_it_locates_a_house_from_its_coordinates(town):
    house = services.house_create(
        code="DM-001",
        address="东门路12号3幢501室",
        lon=121.21,
        lat=30.23,
        use=HouseUse.RENTED,
        landlord=town.resident_dongmen1,
        user=town.dongmen_head,
    )
    assert house.grid == town.dongmen2
    assert house.address_masked == "东门路**号*幢***室"
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM people_house WHERE id = %s", [house.pk])
        stored = cursor.fetchone()[0]
    assert "东门路" not in stored  # encrypted at rest


def test_it_refuses_a_house_whose_point_is_outside_the_scope(town):
    with pytest.raises(ValidationError) as exc:
        services.house_create(
            code="XM-001", address="西门村1号", lon=121.23, lat=30.21, user=town.dongmen_head
        )
    assert "grid" in exc.value.message_dict


def test_it_refuses_a_grid_code_that_disagrees_with_the_point(town):
    with pytest.raises(ValidationError) as exc:
        services.house_create(
            code="DM-002",
            address="东门路1号",
            lon=121.21,
            lat=30.21,
            grid_code=town.dongmen2.code,
        )
    assert "330282001001001" in exc.value.message_dict["grid"][0]


def test_it_takes_an_explicit_grid_code_without_coordinates(town):
    house = services.house_create(code="DM-003", address="东门路3号", grid_code=town.dongmen1.code)
    assert house.grid == town.dongmen1
    moved = services.house_update(house=house, lon=121.21, lat=30.23)
    assert moved.grid == town.dongmen2


def test_it_gives_a_household_its_houses_grid(town):
    house = services.house_create(code="DM-004", address="东门路4号", grid_code=town.dongmen2.code)
    household = services.household_create(number="H0001", house=house, user=town.dongmen_head)
    assert household.grid == town.dongmen2
    with pytest.raises(ValidationError):
        services.household_create(number="H0001", grid=town.dongmen1)
    assert Household.objects.count() == 1


def test_it_checks_an_organisations_credit_code_and_locates_it(town):
    org = services.organisation_create(
        name="东门网吧",
        kind=OrganisationKind.INTERNET_CAFE,
        lon=121.21,
        lat=30.21,
        credit_code=CREDIT_CODE,
        contact_phone="13811112222",
        user=town.dongmen1_leader,
    )
    assert org.grid == town.dongmen1
    assert org.contact_phone_masked == "138****2222"
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(
            name="坏码",
            kind=OrganisationKind.SHOP,
            lon=121.21,
            lat=30.21,
            credit_code="91350100M000100Y44",
        )
    assert "credit_code" in exc.value.message_dict
    assert Organisation.objects.count() == 1
