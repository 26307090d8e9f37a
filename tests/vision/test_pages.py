"""The vision pages in a real browser: the status page, drawing a zone on the camera's
picture, and approving an alarm in the review queue. Screenshots: tests/artifacts/screenshots/."""

from __future__ import annotations

import re

from tests.browser.conftest import live_db, wait_until
from yemai.vision import services
from yemai.vision.models import Alarm, Camera, Zone
from yemai.vision.pipeline import jpeg
from yemai.vision.synth import Scene, render

from .test_services import raise_alarm


def no_inline_script(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"


def street_jpeg() -> bytes:
    _t, image = next(iter(render(Scene(width=640, height=480, duration=1, fps=1))))
    return jpeg(image)


@live_db
def test_an_operator_draws_a_zone_on_the_cameras_picture(cameras, pages, settings):
    settings.TOTP_REQUIRED = False  # the second factor has its own tests (accounts)
    Camera.objects.filter(pk=cameras.cam_d1.pk).update(
        snapshot=street_jpeg(), snapshot_width=640, snapshot_height=480
    )
    context = pages.context()
    page = pages.login(context, "operator")
    page.goto("/vision/")
    assert "CAM-D1" in page.content() and "CAM-X1" in page.content()
    no_inline_script(page.content())
    pages.shot(page, "status")
    page.goto(f"/vision/cameras/{cameras.cam_d1.pk}/zones/")
    wait_until(page, "document.getElementById('snapshot').naturalWidth > 0")
    wait_until(page, "document.querySelectorAll('#zones li').length === 1")
    no_inline_script(page.content())
    box = page.locator("#overlay").bounding_box()
    # Four corners at known picture coordinates (the SVG shows the picture 1:1 or scaled).
    sx, sy = box["width"] / 640, box["height"] / 480
    for x, y in ((100, 300), (500, 300), (500, 460), (100, 460)):
        page.mouse.click(box["x"] + x * sx, box["y"] + y * sy)
    page.fill("input[name=name]", "超市门口")
    page.fill("input[name=dwell_s]", "120")
    page.check("input[name=review_required]")
    page.click("#save")
    wait_until(page, "document.querySelectorAll('#zones li').length === 2")
    pages.shot(page, "zone_drawn")
    zone = Zone.objects.get(name="超市门口")
    assert (zone.image_width, zone.image_height) == (640, 480)
    assert zone.dwell_s == 120 and zone.review_required
    xs = sorted({round(p[0] / 10) * 10 for p in zone.polygon})
    ys = sorted({round(p[1] / 10) * 10 for p in zone.polygon})
    assert xs == [100, 500] and ys == [300, 460]


@live_db
def test_a_member_sees_the_zones_but_gets_no_editor(cameras, pages, settings):
    settings.TOTP_REQUIRED = False  # the second factor has its own tests (accounts)
    Camera.objects.filter(pk=cameras.cam_d1.pk).update(
        snapshot=street_jpeg(), snapshot_width=640, snapshot_height=480
    )
    page = pages.login(pages.context(), "dongmen1_member")
    page.goto(f"/vision/cameras/{cameras.cam_d1.pk}/zones/")
    wait_until(page, "document.querySelectorAll('#zones li').length === 1")
    assert page.locator("#zone-form").count() == 0
    pages.shot(page, "member_zones")
    response = page.goto(f"/vision/cameras/{cameras.cam_x1.pk}/zones/")
    assert response.status == 404


@live_db
def test_the_centre_approves_an_alarm_in_the_review_queue(cameras, pages, settings):
    settings.TOTP_REQUIRED = False  # the second factor has its own tests (accounts)
    Zone.objects.update(review_required=True)
    alarm, _ = raise_alarm(cameras.cam_d1)
    Alarm.objects.filter(pk=alarm.pk).update(snapshot=street_jpeg())
    page = pages.login(pages.context(), "operator")
    page.goto("/vision/review/")
    no_inline_script(page.content())
    pages.shot(page, "review_queue")
    page.click(f"#alarm-{alarm.pk} button[value=approve]")
    page.wait_for_load_state("networkidle")
    pages.shot(page, "review_done")
    assert Alarm.objects.get(pk=alarm.pk).state == "dispatching"
    assert services.may_review(cameras.operator)
