"""The check-in review page (/checkins/) on a phone in a real browser: the selfie appears only
after "Show selfie" (one audit record), and a rejection with its reason is stored."""

from __future__ import annotations

import pytest

from tests.browser.conftest import jpeg, live_db, wait_until
from tests.factories import build_town, make_user
from yemai.accounts.roles import Role
from yemai.core.models import AuditEvent
from yemai.duty import services
from yemai.duty.models import CheckIn

pytestmark = [pytest.mark.urls("tests.web.urls"), live_db]


@pytest.fixture
def town(settings):
    settings.TOTP_REQUIRED = False
    t = build_town()
    security = make_user("security", Role.SECURITY_ADMIN, t.town)
    services.sensitive_grant(actor=security, user_id=t.dongmen_head.pk, reason="考勤复核")
    t.checkin, _ = services.checkin_create(
        user=t.dongmen1_member, lon=121.21, lat=30.21, accuracy=8.0, photo=jpeg()
    )
    return t


def photo_views(checkin) -> int:
    return AuditEvent.objects.filter(
        kind="view_pii", object_id=str(checkin.pk), detail__what="checkin_photo"
    ).count()


def test_a_reviewer_opens_the_selfie_on_a_phone_and_rejects_with_a_reason(pages, town):
    context = pages.context(phone=True)
    page = pages.login(context, "dongmen_head")
    page.goto("/checkins/")
    page.wait_for_selector(f"#checkin-{town.checkin.pk}")
    assert page.locator("img.selfie-img").count() == 0
    assert photo_views(town.checkin) == 0
    # Nothing sticks out of a phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    pages.shot(page, "review_list")

    page.click("a.selfie-show")
    wait_until(page, "(function(){var i=document.querySelector('img.selfie-img');"
                     "return !!i && i.complete && i.naturalWidth > 0;})()")  # fmt: skip
    assert photo_views(town.checkin) == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    pages.shot(page, "review_selfie")

    page.fill(f"#note-{town.checkin.pk}", "照片不是本人")
    page.click(".review-reject button[type=submit]")
    page.wait_for_selector(".messages li")
    assert "rejected" in page.inner_text(".messages li")
    pages.shot(page, "review_done")
    checkin = CheckIn.objects.get(pk=town.checkin.pk)
    assert checkin.review == "rejected" and checkin.review_note == "照片不是本人"
    assert checkin.reviewed_by == town.dongmen_head
