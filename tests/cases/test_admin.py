"""The cases admin: scoped lists, read-only history, masked phone, states only through actions."""

import pytest
from django.urls import reverse

from tests.factories import make_user
from yemai.cases.choices import State
from yemai.cases.models import Case, CaseEvent, Category, DutyShift, Holiday

from .api_support import IN_XIMEN1, OUTSIDE, report

CHANGELIST = "admin:cases_case_changelist"


def change_url(case):
    return reverse("admin:cases_case_change", args=[case.pk])


@pytest.fixture
def cases(loop_town):
    t = loop_town
    t.east = report(t)
    t.west = report(t, where=IN_XIMEN1, description="西门村路口摆摊")
    t.queued = report(t, where=OUTSIDE, description="镇外路口")
    return t


def shown(response):
    assert response.status_code == 200
    return {c.number for c in response.context["cl"].result_list}


def test_the_case_list_shows_the_scope_with_deadline_colours(cases, client):
    t = cases
    client.force_login(t.dongmen_head)
    response = client.get(reverse(CHANGELIST))
    assert shown(response) == {t.east.number}
    assert "on time" in response.content.decode()
    client.force_login(t.operator)
    assert shown(client.get(reverse(CHANGELIST))) == {
        t.east.number,
        t.west.number,
        t.queued.number,
    }


def test_search_finds_a_case_by_number_or_tracking_code_in_scope_only(cases, client):
    t = cases
    client.force_login(t.dongmen_head)
    url = reverse(CHANGELIST)
    assert shown(client.get(url, {"q": t.east.number})) == {t.east.number}
    assert shown(client.get(url, {"q": t.east.tracking_code.lower()})) == {t.east.number}
    assert shown(client.get(url, {"q": t.west.tracking_code})) == set()


def test_the_change_page_has_the_history_a_masked_phone_and_no_state_input(cases, client):
    t = cases
    client.force_login(t.dongmen_head)
    response = client.get(change_url(t.east))
    assert response.status_code == 200
    page = response.content.decode()
    assert "138****8000" in page and "13800138000" not in page
    assert 'name="state"' not in page and 'name="assignee"' not in page
    assert 'name="description"' in page  # a supervisor may correct the text
    assert "Automatic routing" in page  # the history, read-only
    assert 'name="events-0-note"' not in page
    client.force_login(t.ximen_head)
    assert client.get(change_url(t.east)).status_code == 404


def test_a_member_sees_the_case_but_cannot_change_it(cases, client):
    t = cases
    client.force_login(t.dongmen1_member)
    page = client.get(change_url(t.east)).content.decode()
    assert 'name="description"' not in page
    response = client.post(change_url(t.east), {"description": "改掉"})
    assert response.status_code == 403
    assert Case.objects.get(pk=t.east.pk).description == "门口摆摊"


def test_a_correction_is_saved_through_the_workflow_and_kept_in_the_history(cases, client):
    t = cases
    client.force_login(t.dongmen_head)
    response = client.post(
        change_url(t.east),
        {
            "category": t.garbage.pk,
            "priority": 2,
            "description": "门口堆放垃圾",
            "address": "东门路1号",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "photos-TOTAL_FORMS": "0",
            "photos-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(pk=t.east.pk)
    assert (case.category, case.description, case.state) == (
        t.garbage,
        "门口堆放垃圾",
        State.DISPATCHED,
    )
    note = CaseEvent.objects.filter(case=case).last()
    assert note.action == "comment" and note.actor == t.dongmen_head
    assert note.data["corrected"]["description"] == ["门口摆摊", "门口堆放垃圾"]


def test_admin_actions_register_and_reject_through_the_workflow(cases, client):
    t = cases
    other = report(t, where=OUTSIDE, description="重复上报")
    client.force_login(t.operator)
    url = reverse(CHANGELIST)
    client.post(url, {"action": "register", "_selected_action": [t.queued.pk, t.east.pk]})
    assert Case.objects.get(pk=t.queued.pk).state == State.REGISTERED
    assert Case.objects.get(pk=t.east.pk).state == State.DISPATCHED  # refused: wrong state
    client.post(url, {"action": "reject_duplicate", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert (other.state, other.reject_reason) == (State.REJECTED, "duplicate")
    assert other.events.last().actor == t.operator


def test_members_are_offered_no_workflow_actions(cases, client):
    client.force_login(cases.dongmen1_member)
    response = client.get(reverse(CHANGELIST))
    assert response.context["action_form"] is None  # every action needs the workflow right
    client.force_login(cases.operator)
    choices = dict(client.get(reverse(CHANGELIST)).context["action_form"].fields["action"].choices)
    assert {"register", "reject_duplicate", "reject_invalid", "supervise"} <= set(choices)


def test_cases_are_never_added_or_deleted_in_the_admin(cases, client):
    client.force_login(cases.operator)
    assert client.get(reverse("admin:cases_case_add")).status_code == 403
    url = reverse("admin:cases_case_delete", args=[cases.east.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=cases.east.pk).exists()


# --- categories and holidays: installation-wide, edited by the centre ---------------------------


def test_the_centre_edits_categories_and_others_only_read(loop_town, client):
    t = loop_town
    stall = Category.objects.get(code="0203")
    url = reverse("admin:cases_category_change", args=[stall.pk])
    data = {
        "parent": stall.parent_id,
        "code": "0203",
        "name": "占道经营（流动摊贩）",
        "kind": "event",
        "department": t.chengguan.pk,
        "priority": 3,
        "accept_hours": "0.5",
        "handle_hours": "6",
        "verify_hours": "4",
        "rating_asked": "on",
        "after_photo_required": "on",
        "enabled": "on",
        "sort": 0,
    }
    village_admin = make_user("dongmen_sysadmin", "system_admin", t.dongmen)
    for user in (t.dongmen_head, t.dongmen1_member, village_admin):
        client.force_login(user)
        assert client.get(url).status_code == 200
        assert client.post(url, data).status_code == 403
    assert Category.objects.get(pk=stall.pk).name == "占道经营"
    client.force_login(t.operator)
    assert client.post(url, data).status_code == 302
    stall.refresh_from_db()
    assert (stall.name, float(stall.handle_hours)) == ("占道经营（流动摊贩）", 6.0)


def test_the_centre_keeps_the_holiday_calendar(loop_town, client):
    url = reverse("admin:cases_holiday_add")
    data = {"date": "2026-10-01", "name": "国庆节"}
    client.force_login(loop_town.dongmen_head)
    assert client.post(url, data).status_code == 403
    client.force_login(loop_town.town_head)
    assert client.post(url, data).status_code == 302
    assert Holiday.objects.get().name == "国庆节"


def test_duty_rosters_are_scoped(loop_town, client):
    t = loop_town
    DutyShift.objects.create(member=t.dongmen1_member_row, weekdays=[1, 2, 3])
    west = DutyShift.objects.create(member=t.ximen1_member_row, weekdays=[4, 5])
    client.force_login(t.dongmen_head)
    response = client.get(reverse("admin:cases_dutyshift_changelist"))
    assert [s.member for s in response.context["cl"].result_list] == [t.dongmen1_member_row]
    url = reverse("admin:cases_dutyshift_change", args=[west.pk])
    assert client.get(url).status_code == 404
