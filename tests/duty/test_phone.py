"""The member's phone (PWA, /m/) records a patrol in a real browser: started with no signal,
fixes kept on the phone, ended, then sent once the network is back."""

from __future__ import annotations

import pytest

from tests.browser.conftest import live_db, wait_until
from tests.factories import build_town
from yemai.duty.models import Patrol, TrackPoint

pytestmark = [pytest.mark.urls("tests.web.urls"), live_db]


@pytest.fixture
def town(settings):
    settings.TOTP_REQUIRED = False
    return build_town()


def test_a_patrol_walked_offline_reaches_the_server_once_online(pages, town):
    context = pages.context(
        phone=True,
        geolocation={"latitude": 30.2100, "longitude": 121.2100, "accuracy": 5},
        permissions=["geolocation"],
    )
    m = pages.login(context, "dongmen1_member")
    m.wait_for_selector("#patrol-toggle")
    context.set_offline(True)
    m.wait_for_selector("#net:not([hidden])")
    m.click("#patrol-toggle")
    m.wait_for_selector("#patrol-toggle[aria-pressed=true]")
    for lat in (30.2110, 30.2120):  # walking north, 111 m a step
        m.wait_for_timeout(5200)  # the app keeps one fix every five seconds
        context.set_geolocation({"latitude": lat, "longitude": 121.2100, "accuracy": 5})
    wait_until(m, "JSON.parse(localStorage.getItem('yemai.patrol.' + "
               "document.getElementById('app').dataset.user)).pending.length >= 3")  # fmt: skip
    pages.shot(m, "patrol_offline")
    m.click("#patrol-toggle")
    m.wait_for_selector("#patrol-toggle[aria-pressed=false]")
    assert not Patrol.objects.exists()

    context.set_offline(False)
    wait_until(m, "localStorage.getItem('yemai.patrol.' + "
               "document.getElementById('app').dataset.user) === null", timeout=20)  # fmt: skip
    pages.shot(m, "patrol_sent")
    patrol = Patrol.objects.get()
    assert patrol.member == town.dongmen1_member and patrol.ended_at is not None
    assert TrackPoint.objects.filter(patrol=patrol).count() >= 3
    assert patrol.length_m == pytest.approx(222.4, abs=5)
