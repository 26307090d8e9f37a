"""The check-in review page (/checkins/): who, when and where of pending check-ins for a
holder of the whereabouts grant, the selfie only on request (and audited), accept / reject
through duty.services. Anyone else finds no page (404) and no personal data."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.factories import make_user
from yemai.accounts.roles import Role
from yemai.core.models import AuditEvent
from yemai.duty import services
from yemai.duty.models import CheckIn, position_text
from yemai.web import views

pytestmark = pytest.mark.urls("tests.web.urls")

DONGMEN1 = (121.2100, 30.2100)  # inside 东门1
XIMEN1 = (121.2300, 30.2100)  # inside 西门1


def selfie(colour=(200, 160, 140)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, format="JPEG")
    return out.getvalue()


def check_in(user, where=DONGMEN1) -> CheckIn:
    checkin, _ = services.checkin_create(
        user=user, lon=where[0], lat=where[1], accuracy=9.0, photo=selfie()
    )
    return checkin


@pytest.fixture
def review_town(web_town):
    t = web_town
    t.security = make_user("security", Role.SECURITY_ADMIN, t.town)
    t.dongmen1_member.first_name = "王丽"
    t.dongmen1_member.save()
    t.ximen1_member.first_name = "赵强"
    t.ximen1_member.save()
    # The 东门 village head reviews; the grant comes from the security administrator.
    services.sensitive_grant(actor=t.security, user_id=t.dongmen_head.pk, reason="考勤复核")
    t.mine = check_in(t.dongmen1_member)
    t.theirs = check_in(t.ximen1_member, XIMEN1)
    return t


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def photo_views(checkin) -> int:
    return AuditEvent.objects.filter(
        kind="view_pii", object_type="duty.checkin", object_id=str(checkin.pk)
    ).count()


def test_a_reviewer_sees_the_pending_check_in_but_not_its_selfie(review_town):
    t = review_town
    response = signed_in(t.dongmen_head).get("/checkins/")
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    page = response.content.decode()
    assert "王丽" in page and "30.21000, 121.21000" in page
    assert "In 东门社区第1微网格" in page  # where: the micro-grid the place lies in
    assert f"/api/duty/checkins/{t.mine.pk}/photo" in page and "Show selfie" in page
    # The picture itself is nowhere in the page: no image element, no image data.
    assert "<img" not in page
    stored = CheckIn.objects.get(pk=t.mine.pk).photo
    assert stored[:40] not in page
    assert photo_views(t.mine) == 0
    # Outside the reviewer's village: not listed at all.
    assert "赵强" not in page and "330282001002001" not in page
    # Looking at the list is one audit record naming the check-ins shown.
    listed = AuditEvent.objects.get(kind="view_pii", detail__what="checkin_pending")
    assert listed.user_id == t.dongmen_head.pk and listed.detail["checkins"] == [t.mine.pk]


def test_showing_the_selfie_goes_through_the_audited_photo_endpoint(review_town):
    t = review_town
    client = signed_in(t.dongmen_head)
    response = client.get(f"/api/duty/checkins/{t.mine.pk}/photo")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == base64.b64decode(CheckIn.objects.get(pk=t.mine.pk).photo)
    event = AuditEvent.objects.get(kind="view_pii", object_id=str(t.mine.pk))
    assert event.user_id == t.dongmen_head.pk and event.detail["what"] == "checkin_photo"


def test_accepting_a_check_in_stores_the_verdict_audits_it_and_says_so(review_town):
    t = review_town
    client = signed_in(t.dongmen_head)
    response = client.post(f"/checkins/{t.mine.pk}/review/", {"outcome": "accepted"}, follow=True)
    assert response.redirect_chain == [("/checkins/", 302)]
    page = response.content.decode()
    assert "accepted" in page and "王丽" in page
    checkin = CheckIn.objects.get(pk=t.mine.pk)
    assert checkin.review == "accepted" and checkin.reviewed_by_id == t.dongmen_head.pk
    assert AuditEvent.objects.filter(
        kind="change", object_id=str(t.mine.pk), detail__review="accepted"
    ).exists()
    # Reviewed, it leaves the list.
    assert f"/checkins/{t.mine.pk}/review/" not in page
    assert "No check-ins are waiting for review." in page


def test_a_check_in_reviewed_meanwhile_by_another_is_not_overwritten(review_town):
    t = review_town
    other = make_user("dongmen_deputy", Role.VILLAGE_HEAD, t.dongmen, first_name="李副")
    services.sensitive_grant(actor=t.security, user_id=other.pk, reason="考勤复核")
    first, second = signed_in(t.dongmen_head), signed_in(other)
    assert f"/checkins/{t.mine.pk}/review/" in second.get("/checkins/").content.decode()
    first.post(f"/checkins/{t.mine.pk}/review/", {"outcome": "accepted"})
    page = second.post(
        f"/checkins/{t.mine.pk}/review/", {"outcome": "rejected", "note": "看不清"}, follow=True
    ).content.decode()
    assert "reviewed this check-in at" in page and "meanwhile" in page
    checkin = CheckIn.objects.get(pk=t.mine.pk)
    assert checkin.review == "accepted" and checkin.reviewed_by_id == t.dongmen_head.pk
    assert not AuditEvent.objects.filter(
        kind="change", object_id=str(t.mine.pk), user_id=other.pk
    ).exists()


def test_rejecting_needs_a_reason_and_stores_it(review_town):
    t = review_town
    client = signed_in(t.dongmen_head)
    url = f"/checkins/{t.mine.pk}/review/"
    page = client.post(url, {"outcome": "rejected", "note": "  "}, follow=True).content.decode()
    assert "Say why the check-in is rejected." in page
    assert CheckIn.objects.get(pk=t.mine.pk).review == "pending"
    assert not AuditEvent.objects.filter(kind="change", object_id=str(t.mine.pk)).exists()

    page = client.post(
        url, {"outcome": "rejected", "note": "照片不是本人"}, follow=True
    ).content.decode()
    assert "rejected" in page
    checkin = CheckIn.objects.get(pk=t.mine.pk)
    assert checkin.review == "rejected" and checkin.review_note == "照片不是本人"
    assert AuditEvent.objects.filter(
        kind="change", object_id=str(t.mine.pk), detail__review="rejected"
    ).exists()


def test_a_nonsense_outcome_is_refused_with_a_message_and_nothing_changes(review_town):
    t = review_town
    page = (
        signed_in(t.dongmen_head)
        .post(f"/checkins/{t.mine.pk}/review/", {"outcome": "maybe"}, follow=True)
        .content.decode()
    )
    assert "Outcome must be accepted or rejected" in page
    assert CheckIn.objects.get(pk=t.mine.pk).review == "pending"


def test_a_check_in_from_another_village_does_not_exist_for_the_reviewer(review_town):
    t = review_town
    client = signed_in(t.dongmen_head)
    response = client.post(f"/checkins/{t.theirs.pk}/review/", {"outcome": "accepted"})
    assert response.status_code == 404 and "赵强" not in response.content.decode()
    assert client.get(f"/api/duty/checkins/{t.theirs.pk}/photo").status_code == 404
    assert CheckIn.objects.get(pk=t.theirs.pk).review == "pending"
    assert photo_views(t.theirs) == 0


@pytest.mark.parametrize(
    "who", ["dongmen1_leader", "dongmen2_member", "ximen_head", "town_head", "auditor", "security"]
)
def test_without_the_grant_there_is_no_page_and_no_personal_data(review_town, who):
    t = review_town
    client = signed_in(getattr(t, who))
    response = client.get("/checkins/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "王丽" not in page and "30.21" not in page
    response = client.post(f"/checkins/{t.mine.pk}/review/", {"outcome": "accepted"})
    assert response.status_code == 404
    assert CheckIn.objects.get(pk=t.mine.pk).review == "pending"
    assert client.get(f"/api/duty/checkins/{t.mine.pk}/photo").status_code in {403, 404}
    assert photo_views(t.mine) == 0
    # Their pages do not link to it either.
    assert 'href="/checkins/"' not in client.get("/centre/").content.decode()


def test_the_reviewer_s_pages_link_to_the_review(review_town):
    page = signed_in(review_town.dongmen_head).get("/centre/").content.decode()
    assert 'href="/checkins/"' in page


def test_nobody_reviews_their_own_check_in_here_either(review_town):
    t = review_town
    services.sensitive_grant(actor=t.security, user_id=t.dongmen1_member.pk, reason="互查")
    client = signed_in(t.dongmen1_member)
    assert f"/checkins/{t.mine.pk}/review/" not in client.get("/checkins/").content.decode()
    page = client.post(
        f"/checkins/{t.mine.pk}/review/", {"outcome": "accepted"}, follow=True
    ).content.decode()
    assert "Nobody reviews their own check-in" in page
    assert CheckIn.objects.get(pk=t.mine.pk).review == "pending"


def test_a_review_without_the_csrf_token_is_refused(review_town):
    t = review_town
    client = signed_in(t.dongmen_head, enforce_csrf_checks=True)
    response = client.post(f"/checkins/{t.mine.pk}/review/", {"outcome": "accepted"})
    assert response.status_code == 403
    assert CheckIn.objects.get(pk=t.mine.pk).review == "pending"


def test_a_signed_out_visitor_is_sent_to_sign_in(review_town):
    response = Client().get("/checkins/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_fits_a_phone_and_loads_its_script(review_town):
    page = signed_in(review_town.dongmen_head).get("/checkins/").content.decode()
    assert 'name="viewport" content="width=device-width' in page
    assert "web/checkins.js" in page
    assert 'name="note"' in page and "required" in page


def test_a_selfie_past_its_retention_is_said_to_be_gone(review_town):
    t = review_town
    CheckIn.objects.filter(pk=t.mine.pk).update(photo="", photo_removed_at=timezone.now())
    page = signed_in(t.dongmen_head).get("/checkins/").content.decode()
    assert "王丽" in page and "The selfie is no longer kept." in page
    assert f"/api/duty/checkins/{t.mine.pk}/photo" not in page


def test_a_long_queue_shows_the_oldest_first_and_says_how_many_wait(review_town):
    t = review_town
    start = timezone.now() - dt.timedelta(hours=20)
    CheckIn.objects.bulk_create(
        CheckIn(
            member=t.dongmen2_member,
            grid=t.dongmen2,
            at=start + dt.timedelta(minutes=i),
            position=position_text(121.21, 30.23, None),
        )
        for i in range(views.CHECKIN_REVIEW_PAGE + 5)
    )
    page = signed_in(t.dongmen_head).get("/checkins/").content.decode()
    total = views.CHECKIN_REVIEW_PAGE + 6
    assert f"The {views.CHECKIN_REVIEW_PAGE} oldest of {total} waiting are shown." in page
    assert page.count('class="card review"') == views.CHECKIN_REVIEW_PAGE
    # The newest (王丽's, just now) waits for the next page.
    assert "王丽" not in page
