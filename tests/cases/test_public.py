"""The resident's side, end to end over HTTP: report without an account → the member handles
it → the leader verifies → the resident rates with the link from the SMS → the metrics count
the rating. And what the public endpoints refuse or hide."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from yemai.cases.metrics import case_metrics
from yemai.cases.models import Case
from yemai.notify.models import Notice

from .api_support import png


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def act(client, case_id, action, **body):
    response = post(client, f"/api/cases/{case_id}/actions/{action}", body)
    assert response.status_code == 200, response.content
    return response.json()


def resident_report(client, **extra):
    body = {
        "category": "0203",
        "description": "东门路口有人占道摆摊",
        "lon": 121.21,
        "lat": 30.21,
        "name": "居民甲",
        "phone": "13800138000",
        **extra,
    }
    return post(client, "/api/public/cases", body)


def test_the_whole_loop_from_a_residents_report_to_the_metrics(loop_town, client):
    t = loop_town
    reported = resident_report(client)
    assert reported.status_code == 201, reported.content
    code = reported.json()["tracking_code"]
    case = Case.objects.get(tracking_code=code)
    assert case.assignee == t.dongmen1_member  # routed by location, no one lifted a finger

    client.force_login(t.dongmen1_member)
    act(client, case.pk, "accept")
    handled = act(client, case.pk, "handle", note="已劝离，恢复通行")
    photo = client.post(
        f"/api/cases/{case.pk}/photos",
        {"file": _upload(png()), "kind": "after", "event": handled["events"][-1]["id"]},
    )
    assert photo.status_code == 201, photo.content
    client.force_login(t.dongmen1_leader)
    act(client, case.pk, "verify")
    act(client, case.pk, "close")
    client.logout()

    followed = client.get(f"/api/public/cases/{code}").json()
    assert followed["state"] == "closed" and not followed["open"]
    assert [s["action"] for s in followed["steps"]][:3] == ["report", "register", "dispatch"]

    sms = Notice.objects.get(template="case.rating_invitation")
    link = sms.params["link"]
    token = link.rsplit("/", 1)[-1]
    assert client.get(f"/api/public/rate/{token}").json()["number"] == case.number
    rated = post(client, f"/api/public/rate/{token}", {"score": 5, "fixed": "yes"})
    assert rated.status_code == 201 and rated.json()["reopened"] is False
    again = post(client, f"/api/public/rate/{token}", {"score": 1, "fixed": "no"})
    assert again.status_code == 400  # once only

    today = timezone.localdate()
    total = case_metrics(
        user=t.town_head, group_by="total", start=today, end=today + dt.timedelta(days=1)
    )[0]
    assert total["closed"] == 1
    assert total["satisfaction_mean"] == 5 and total["satisfaction_share"] == 1


def test_not_fixed_reopens_the_case_for_the_member(loop_town, client):
    t = loop_town
    code = resident_report(client).json()["tracking_code"]
    case = Case.objects.get(tracking_code=code)
    t.stall.after_photo_required = False
    t.stall.save()
    client.force_login(t.dongmen1_member)
    act(client, case.pk, "accept")
    act(client, case.pk, "handle")
    client.force_login(t.dongmen1_leader)
    act(client, case.pk, "verify")
    act(client, case.pk, "close")
    client.logout()
    token = Notice.objects.get(template="case.rating_invitation").params["link"].rsplit("/")[-1]
    rated = post(client, f"/api/public/rate/{token}", {"score": 1, "fixed": "no"})
    assert rated.status_code == 201 and rated.json()["reopened"] is True
    assert client.get(f"/api/public/cases/{code}").json()["open"] is True


def test_similar_open_cases_are_shown_before_submitting_without_personal_data(loop_town, client):
    resident_report(client)
    similar = client.get(
        "/api/public/similar", {"category": "0203", "lon": 121.2101, "lat": 30.2101}
    ).json()
    assert len(similar) == 1 and similar[0]["distance_m"] < 20
    text = json.dumps(similar, ensure_ascii=False)
    assert "居民甲" not in text and "1380013" not in text and "摆摊" not in text


def test_the_tracking_page_hides_names_notes_and_phones(loop_town, client):
    code = resident_report(client).json()["tracking_code"]
    client.force_login(loop_town.dongmen1_member)
    case = Case.objects.get(tracking_code=code)
    act(client, case.pk, "accept", note="摊主张三电话13912345678")
    client.logout()
    text = client.get(f"/api/public/cases/{code}").content.decode()
    assert "张三" not in text and "13912345678" not in text and "王丽" not in text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "9999"}, "category"),
        ({"lon": 500}, "lon"),
        ({"phone": "12345"}, "reporter_phone"),
        ({"description": "  "}, "description"),
    ],
)
def test_bad_reports_are_refused_naming_the_field_and_store_nothing(loop_town, client, body, field):
    response = resident_report(client, **body)
    assert response.status_code == 400
    assert field in json.dumps(response.json())
    assert not Case.objects.exists()


def test_unknown_codes_and_links_answer_404_and_400(loop_town, client):
    assert client.get("/api/public/cases/NOSUCH42").status_code == 404
    assert client.get("/api/public/rate/" + "x" * 43).status_code == 400


def _upload(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("after.png", data)
