"""The whole day in a real browser: a resident reports on the portal, the member handles it in
the phone app with a photo, the leader verifies and closes, the resident rates, and the map
shows the case closed. Also: the offline queue replays exactly once, and a member never sees
another grid's case."""

from __future__ import annotations

import pytest

from tests.browser.conftest import live_db, photo_file, wait_until
from tests.factories import build_town
from yemai.cases.models import Case, CaseEvent, CasePhoto
from yemai.cases.services import category_link_departments

pytestmark = [pytest.mark.urls("tests.web.urls"), live_db]


def _seed_migration_data():
    """The rows the data migrations seed (categories, care tags). A transactional test empties
    the tables when it ends; serialized_rollback puts them back, but not on every backend and
    plugin version, so seed them again (idempotent) before building the town."""
    import importlib

    from django.apps import apps

    for module, func in (
        ("yemai.cases.migrations.0002_taxonomy", "load"),
        ("yemai.people.migrations.0002_tags", "create_tags"),
    ):
        getattr(importlib.import_module(module), func)(apps, None)


@pytest.fixture
def town(settings):
    # Second factor: the security work's own tests cover it; these walk the pages after it.
    settings.TOTP_REQUIRED = False
    _seed_migration_data()
    t = build_town()
    category_link_departments(town=t.town)
    return t


def _report_on_portal(pages, t, description="路口有人占道摆摊，挡住了盲道"):
    context = pages.context(
        phone=True,
        geolocation={"latitude": 30.2105, "longitude": 121.2105},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(f"/r/?grid={t.dongmen1.code}")
    page.wait_for_selector("#pin-map .leaflet-overlay-pane path", state="attached")
    page.select_option("#p-category", "0203")
    page.click("#locate")
    page.wait_for_selector("#pin-state:has-text('30.21')")
    page.fill("#p-description", description)
    page.fill("#p-address", "东门路12号")
    page.set_input_files("#p-photo", photo_file("report.jpg"))
    page.fill("#p-phone", "13812345678")
    pages.shot(page, "portal_filled")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#done:not([hidden])")
    code = page.inner_text("#code").strip()
    pages.shot(page, "portal_done")
    return page, code


def test_resident_to_member_to_leader_to_rating_to_map(pages, town):
    t = town
    resident, code = _report_on_portal(pages, t)
    case = Case.objects.get(tracking_code=code)
    assert case.grid == t.dongmen1 and case.assignee == t.dongmen1_member
    assert case.photos.filter(kind="report").count() == 1

    # The member sees it on the phone, accepts it, handles it with an after-photo and GPS.
    member_ctx = pages.context(
        phone=True,
        geolocation={"latitude": 30.2106, "longitude": 121.2104},
        permissions=["geolocation"],
    )
    m = pages.login(member_ctx, "dongmen1_member")
    assert m.url.endswith("/m/")
    m.wait_for_selector(f"#list button:has-text('{case.number}')")
    pages.shot(m, "member_to_accept")
    m.click(f"#list button:has-text('{case.number}')")
    m.wait_for_selector("#case-actions input[value=accept]")
    pages.shot(m, "member_case")
    m.check("#case-actions input[value=accept]")
    m.click("#case-actions button[type=submit]")
    m.wait_for_selector("#case[hidden]", state="attached")
    m.wait_for_selector("#queue[hidden]", state="attached")
    case.refresh_from_db()
    assert case.state == "accepted"

    m.click("#tab-in_progress")
    m.wait_for_selector(f"#list button:has-text('{case.number}')")
    m.click(f"#list button:has-text('{case.number}')")
    m.wait_for_selector("#case-actions input[value=handle]")
    m.check("#case-actions input[value=handle]")
    m.fill("#case-actions textarea[name=note]", "已劝离摊贩，恢复通行")
    m.set_input_files("#case-actions input[name=photo]", photo_file("after.jpg", (30, 160, 60)))
    m.check("#case-actions input[name=gps]")
    m.wait_for_selector("#case-actions .gps-state:has-text('30.21')")
    pages.shot(m, "member_handle")
    m.click("#case-actions button[type=submit]")
    m.wait_for_selector("#queue[hidden]", state="attached")
    m.wait_for_selector("#case[hidden]", state="attached")
    case.refresh_from_db()
    assert case.state == "handled"
    handle = CaseEvent.objects.get(case=case, action="handle")
    assert handle.note == "已劝离摊贩，恢复通行" and handle.lat == pytest.approx(30.2106)
    assert case.photos.filter(kind="after").count() == 1

    # The leader verifies (with a photo of their own) and closes.
    leader_ctx = pages.context(phone=True)
    lp = pages.login(leader_ctx, "dongmen1_leader")
    assert lp.url.endswith("/leader/")
    lp.wait_for_selector(f"[data-list=to_verify] button:has-text('{case.number}')")
    pages.shot(lp, "leader_desk")
    lp.click(f"[data-list=to_verify] button:has-text('{case.number}')")
    lp.wait_for_selector("#case-actions input[value=verify]")
    lp.wait_for_selector("#case-body .photos img")
    lp.check("#case-actions input[value=verify]")
    lp.set_input_files("#case-actions input[name=photo]", photo_file("check.jpg", (10, 10, 200)))
    pages.shot(lp, "leader_verify")
    lp.click("#case-actions button[type=submit]")
    lp.wait_for_selector(f"[data-list=to_close] button:has-text('{case.number}')")
    lp.click(f"[data-list=to_close] button:has-text('{case.number}')")
    lp.wait_for_selector("#case-actions input[value=close]")
    lp.check("#case-actions input[value=close]")
    lp.click("#case-actions button[type=submit]")
    lp.wait_for_selector("#case[hidden]", state="attached")
    case.refresh_from_db()
    assert case.state == "closed"
    assert case.photos.filter(kind="evidence").count() == 1

    # The resident follows the case and rates it with the link the SMS carries.
    resident.goto(f"/r/track/?code={code}")
    resident.wait_for_selector("#result h2")
    pages.shot(resident, "track_closed")
    from yemai.notify.models import Notice

    link = Notice.objects.get(template="case.rating_invitation").params["link"]
    resident.goto("/rate/" + link.rsplit("/", 1)[-1])
    resident.wait_for_selector("#rate-form:not([hidden])")
    resident.check("input[name=score][value='5']")
    resident.check("input[name=fixed][value=yes]")
    pages.shot(resident, "rate")
    resident.click("#rate-form button[type=submit]")
    resident.wait_for_selector("#thanks:not([hidden])")
    pages.shot(resident, "rated")
    assert case.ratings.get().score == 5

    # The centre's map shows it closed, with its history and photos.
    centre_ctx = pages.context()
    c = pages.login(centre_ctx, "operator")
    assert c.url.endswith("/centre/")
    c.wait_for_selector("#map .leaflet-overlay-pane path")
    c.select_option("#f-state", "closed")
    c.wait_for_selector(f"#case-list button:has-text('{case.number}')")
    c.click(f"#case-list button:has-text('{case.number}')")
    c.wait_for_selector("#detail .timeline li")
    text = c.inner_text("#detail")
    assert "Closed" in text and "Rating" in text
    assert c.locator("#detail .photos img").count() == 3
    pages.shot(c, "centre_closed_case")


def test_offline_queue_replays_exactly_once_after_the_network_returns(pages, town):
    t = town
    from yemai.cases.choices import Source
    from yemai.cases.models import Category
    from yemai.cases.services import case_report

    case, _ = case_report(
        source=Source.RESIDENT,
        category=Category.objects.get(code="0203"),
        description="桥下堆放杂物",
        lon=121.21,
        lat=30.21,
    )
    assert case.assignee == t.dongmen1_member
    context = pages.context(
        phone=True,
        geolocation={"latitude": 30.205, "longitude": 121.205},
        permissions=["geolocation"],
    )
    m = pages.login(context, "dongmen1_member")
    m.wait_for_selector(f"#list button:has-text('{case.number}')")
    # The app keeps the case and its steps on the phone before the signal goes.
    wait_until(m, f"!!localStorage.getItem('yemai.case.{case.pk}')")

    context.set_offline(True)
    m.wait_for_selector("#net:not([hidden])")
    m.click(f"#list button:has-text('{case.number}')")
    m.wait_for_selector("#case-actions input[value=accept]")
    m.check("#case-actions input[value=accept]")
    m.fill("#case-actions textarea[name=note]", "信号差，先接单")
    m.click("#case-actions button[type=submit]")
    m.wait_for_selector("#queue:not([hidden])")
    # and a new problem met on patrol, with a photo
    m.click("#tab-report")
    m.select_option("#r-category", "0101")
    m.fill("#r-description", "河边有垃圾堆")
    m.set_input_files("#r-photo", photo_file("patrol.jpg", (90, 90, 20)))
    m.wait_for_selector("#r-gps-state:has-text('30.205')")
    m.click("#report button[type=submit]")
    m.wait_for_selector("#queue-count:has-text('2')")
    pages.shot(m, "offline_queued")
    assert not CaseEvent.objects.filter(case=case, action="accept").exists()
    assert not Case.objects.filter(description="河边有垃圾堆").exists()

    context.set_offline(False)
    m.wait_for_selector("#queue[hidden]", state="attached", timeout=20000)
    pages.shot(m, "online_replayed")
    assert m.locator("#failed").is_hidden()
    # A second flush (another tab, a timer) and a reload send nothing again.
    m.evaluate("window.yemaiFlush()")
    m.reload()
    m.wait_for_selector("#list")
    m.evaluate("window.yemaiFlush()")
    m.wait_for_timeout(500)
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1
    assert CaseEvent.objects.get(case=case, action="accept").note == "信号差，先接单"
    patrol = Case.objects.filter(description="河边有垃圾堆")
    assert patrol.count() == 1 and patrol.get().source == "patrol"
    assert CasePhoto.objects.filter(case=patrol.get(), kind="report").count() == 1
    # Signing out forgets the cached lists and cases: a shared phone keeps none of it.
    assert m.evaluate(f"!!localStorage.getItem('yemai.case.{case.pk}')")
    m.click("form.logout button[type=submit]")
    m.wait_for_load_state("networkidle")
    kept = m.evaluate("Object.keys(localStorage).filter(k => k.startsWith('yemai.case.'))")
    assert kept == []


def test_a_member_never_sees_another_grids_case(pages, town):
    from yemai.cases.choices import Source
    from yemai.cases.models import Category
    from yemai.cases.services import case_report

    stall = Category.objects.get(code="0203")
    ours, _ = case_report(
        source=Source.RESIDENT, category=stall, description="西门村口摆摊", lon=121.23, lat=30.21
    )
    theirs, _ = case_report(
        source=Source.RESIDENT, category=stall, description="东门路口摆摊", lon=121.21, lat=30.21
    )
    context = pages.context(phone=True)
    m = pages.login(context, "ximen1_member")
    m.wait_for_selector(f"#list button:has-text('{ours.number}')")
    m.click("#tab-today")
    m.wait_for_selector(f"#list button:has-text('{ours.number}')")
    assert theirs.number not in m.inner_text("#app")
    pages.shot(m, "ximen_member_today")
    # Not on the map either, and not by its id.
    m.goto("/centre/")
    m.wait_for_selector("#case-list button")
    assert ours.number in m.inner_text("#case-list")
    assert theirs.number not in m.inner_text("#case-list")
    pages.shot(m, "ximen_member_map")
    answer = m.request.get(f"/api/cases/{theirs.pk}")
    assert answer.status == 404


def test_the_centre_dispatches_a_case_from_its_queue_on_the_map_page(pages, town):
    t = town
    from yemai.cases.choices import Source
    from yemai.cases.models import Category
    from yemai.cases.services import case_report

    stray, _ = case_report(
        source=Source.RESIDENT, category=Category.objects.get(code="0203"),
        description="城郊结合部有人摆摊", lon=121.5, lat=30.5,
    )  # fmt: skip
    assert stray.assignee is None
    c = pages.login(pages.context(), "operator")
    c.wait_for_selector(f"#queue-list button:has-text('{stray.number}')")
    c.click(f"#queue-list button:has-text('{stray.number}')")
    c.wait_for_selector("#detail-actions input[value=register]")
    c.check("#detail-actions input[value=register]")
    c.click("#detail-actions button[type=submit]")
    c.wait_for_selector("#detail-actions input[value=dispatch]")
    c.check("#detail-actions input[value=dispatch]")
    c.wait_for_selector("#detail-actions select[name=assignee] option", state="attached")
    c.select_option("#detail-actions select[name=assignee]", str(t.dongmen1_member.pk))
    pages.shot(c, "centre_dispatch")
    c.click("#detail-actions button[type=submit]")
    c.wait_for_selector("#detail .timeline li:has-text('Dispatch')")
    stray.refresh_from_db()
    assert stray.state == "dispatched" and stray.assignee == t.dongmen1_member
    assert stray.grid == t.dongmen1  # the queue's case joins the member's micro-grid


def test_the_public_board_and_the_qr_sheet_print_on_a4(pages, town):
    t = town
    from yemai.grids.choices import TeamKind
    from yemai.grids.models import Team, TeamMember

    TeamMember.objects.create(
        team=Team.objects.get(grid=t.dongmen1, kind=TeamKind.MANAGEMENT), name="陈书记",
        phone="13900001234", is_leader=True, duty="召集会商，督促整改", area_note="东门路全段",
    )  # fmt: skip
    page = pages.context().new_page()
    page.goto(f"/board/{t.dongmen1.code}/")
    page.wait_for_selector(".board .qr img")
    pages.shot(page, "board")
    page.emulate_media(media="print")
    assert page.locator(".bar").is_hidden()  # the top bar is not printed
    pages.shot(page, "board_print")
    pdf = page.pdf(format="A4")
    import re

    sheets = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pdf[:4] == b"%PDF" and 1 <= sheets <= 2, sheets  # one board, one or two A4 sheets
    text = page.inner_text("body")
    assert "陈书记" in text and "139****1234" in text and "13900001234" not in text

    staff = pages.login(pages.context(), "dongmen1_leader")
    staff.goto("/qr/")
    staff.wait_for_selector(".qr-grid img")
    pages.shot(staff, "qr_sheet")
    # every code on the sheet is an image the browser could load
    loaded = staff.evaluate(
        "Array.from(document.querySelectorAll('.qr-grid img')).every(i => i.naturalWidth > 0)"
    )
    assert loaded
