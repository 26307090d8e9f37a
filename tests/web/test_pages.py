"""The pages and their data endpoints, through Django's test client (the browser tests in
tests/browser drive the same pages in Chromium)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from tests.factories import make_user
from yemai.accounts.roles import Role
from yemai.cases import map as case_map
from yemai.cases.choices import Source
from yemai.cases.models import Case, CaseEvent, Category
from yemai.cases.services import case_report

pytestmark = pytest.mark.urls("tests.web.urls")


def report(lon, lat, text="占道", code="0203", **extra):
    case, _ = case_report(
        source=Source.RESIDENT,
        category=Category.objects.get(code=code),
        description=text,
        lon=lon,
        lat=lat,
        **extra,
    )
    return case


def jpeg(colour=(10, 200, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="JPEG")
    return out.getvalue()


# --- sign in ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, home",
    [
        ("dongmen1_member", "/m/"),
        ("dongmen1_leader", "/leader/"),
        ("dongmen_head", "/centre/"),
        ("operator", "/centre/"),
        ("auditor", "/"),
    ],
)
def test_signing_in_sends_each_role_to_its_page(web_town, client, username, home):
    from tests.factories import PASSWORD

    answer = client.post("/login/", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == home


def test_a_wrong_password_says_so_and_signs_nobody_in(web_town, client):
    answer = client.post("/login/", {"username": "operator", "password": "nope"})
    assert answer.status_code == 200
    assert "didn't match" in answer.content.decode()
    assert client.get("/centre/").status_code == 302


def test_the_department_page_names_its_department(web_town, client):
    liaison = make_user("cg", Role.DEPARTMENT, web_town.town, department=web_town.chengguan)
    client.force_login(liaison)
    assert "城管中队" in client.get("/department/").content.decode()


# --- pages carry no inline script -----------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


FOREIGN = re.compile(r"<(?:script|link|img)[^>]+(?:src|href)=\"(?:https?:)?//", re.I)


class FormLabels(HTMLParser):
    """Every visible form control has a label: a <label for>, a wrapping <label>, or aria-label."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.targets: set[str] = set()
        self.controls: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.depth += 1
            if a.get("for"):
                self.targets.add(a["for"])
        elif tag in {"input", "select", "textarea"}:
            if a.get("type") in {"hidden", "submit", "button"}:
                return
            self.controls.append(
                (a.get("id") or a.get("name") or tag, self.depth > 0 or "aria-label" in a)
            )

    def handle_endtag(self, tag):
        if tag == "label":
            self.depth -= 1

    def unlabelled(self) -> list[str]:
        return [name for name, inside in self.controls if not inside and name not in self.targets]


def test_no_page_has_an_inline_script_a_foreign_file_or_an_unlabelled_field(web_town, client):
    public = [
        "/login/",
        "/r/",
        "/r/track/",
        "/rate/" + "x" * 43,
        f"/board/{web_town.dongmen1.code}/",
    ]
    staff = ["/", "/centre/", "/m/", "/leader/", "/department/", "/qr/"]
    pages = {url: client.get(url) for url in public}
    client.force_login(web_town.operator)
    pages.update({url: client.get(url) for url in staff})
    for url, answer in pages.items():
        assert answer.status_code == 200, url
        html = answer.content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert not FOREIGN.search(html), url
        assert re.search(r'<html lang="(zh-Hans|en)">', html), url
        assert '<main id="main"' in html and 'class="skip"' in html, url
        parser = FormLabels()
        parser.feed(html)
        assert parser.unlabelled() == [], url


def test_pages_speak_chinese_by_default(web_town, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    html = client.get("/r/", HTTP_ACCEPT_LANGUAGE="").content.decode()
    assert 'lang="zh-Hans"' in html
    html = client.get("/r/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in html


# --- the map's data ------------------------------------------------------------------------------


def test_the_map_clusters_on_the_server_when_there_are_many_cases(web_town, client, monkeypatch):
    t = web_town
    for i in range(6):
        report(121.201 + i * 0.0005, 30.201, text=f"东门{i}")
    for i in range(3):
        report(121.231 + i * 0.0005, 30.201, text=f"西门{i}")
    monkeypatch.setattr(case_map, "MAX_POINTS", 4)
    client.force_login(t.operator)
    data = client.get("/centre/cases.json", {"zoom": 12, "bbox": "121.1,30.1,121.3,30.3"}).json()
    assert data["mode"] == "clusters" and data["points"] == []
    assert data["total"] == 9 and sum(c["count"] for c in data["clusters"]) == 9
    assert all(c["red"] + c["yellow"] <= c["count"] for c in data["clusters"])
    # a small box: one marker per case, with its deadline colour
    small = client.get(
        "/centre/cases.json", {"zoom": 18, "bbox": "121.230,30.2,121.2325,30.202"}
    ).json()
    assert small["mode"] == "points" and {p["category"] for p in small["points"]} == {"占道经营"}
    assert {p["colour"] for p in small["points"]} <= {"green", "yellow", "red", "grey"}

    client.force_login(t.ximen1_member)
    mine = client.get("/centre/cases.json", {"zoom": 12}).json()
    assert mine["total"] == 3  # 西门1's cases only, clustered or not


def test_map_filters_by_state_category_and_source(web_town, client):
    t = web_town
    report(121.21, 30.21, code="0203")
    report(121.211, 30.21, code="0101", text="垃圾")
    client.force_login(t.operator)
    get = lambda **q: client.get("/centre/cases.json", {"zoom": 15, **q}).json()  # noqa: E731
    assert get()["total"] == 2
    assert get(category="0101")["total"] == 1
    assert get(state="closed")["total"] == 0
    assert get(source="camera")["total"] == 0
    assert get(period="today")["total"] == 2


def test_bad_map_parameters_are_refused_by_name(web_town, client):
    client.force_login(web_town.operator)
    for query, field in (
        ({"bbox": "a,b"}, "bbox"),
        ({"zoom": "x"}, "zoom"),
        ({"state": "nope"}, "state"),
        ({"period": "soon"}, "period"),
    ):
        answer = client.get("/centre/cases.json", query)
        assert answer.status_code == 400 and field in answer.json()["errors"], query
    assert client.get("/centre/changes.json", {"since": "yesterday"}).status_code == 400
    client.logout()
    assert client.get("/centre/cases.json").status_code == 401


def test_amap_tiles_shift_points_to_gcj02(web_town, client, settings):
    report(121.21, 30.21)
    client.force_login(web_town.operator)
    plain = client.get("/centre/cases.json", {"zoom": 15}).json()["points"][0]
    settings.MAP_TILES = "amap"
    shifted = client.get("/centre/cases.json", {"zoom": 15}).json()["points"][0]
    # GCJ-02 lies a few hundred metres off WGS-84 around Ningbo: east and slightly south.
    assert 0.003 < shifted["lon"] - plain["lon"] < 0.006
    assert -0.004 < shifted["lat"] - plain["lat"] < 0.0
    layers = client.get("/centre/layers.json").json()
    assert layers["points"][0]["lon"] > 121.21  # the service point moves too
    assert "autonavi" in client.get("/centre/").content.decode()


def test_layers_colour_grids_by_their_open_cases_within_scope(web_town, client):
    t = web_town
    report(121.21, 30.21)
    report(121.211, 30.211)
    client.force_login(t.dongmen_head)
    layers = client.get("/centre/layers.json").json()
    by_code = {f["properties"]["code"]: f["properties"] for f in layers["grids"]["features"]}
    assert set(by_code) == {t.dongmen1.code, t.dongmen2.code}
    assert by_code[t.dongmen1.code]["open"] == 2 and by_code[t.dongmen2.code]["open"] == 0
    assert [p["name"] for p in layers["points"]] == ["东门社区党群服务点"]


def test_todays_figures_and_changes(web_town, client):
    t = web_town
    before = timezone.now() - dt.timedelta(seconds=1)
    case = report(121.21, 30.21)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(t.operator)
    today = client.get("/centre/today.json").json()
    assert today["new"] == 1 and today["open"] == 1 and today["overdue"] == 1
    assert today["closed"] == 0 and today["satisfaction"] is None
    changes = client.get("/centre/changes.json", {"since": before.isoformat()}).json()
    assert [c["number"] for c in changes["new"]] == [case.number]
    client.force_login(t.ximen1_member)
    assert client.get("/centre/changes.json", {"since": before.isoformat()}).json()["new"] == []
    assert client.get("/centre/today.json").json()["new"] == 0


def test_departments_a_case_can_go_to(web_town, client):
    case = report(121.21, 30.21)
    client.force_login(web_town.dongmen1_leader)
    names = [d["name"] for d in client.get("/centre/departments.json", {"case": case.pk}).json()]
    assert "城管中队" in names
    client.force_login(web_town.ximen1_member)
    assert client.get("/centre/departments.json", {"case": case.pk}).status_code == 404


# --- the member app's replays ----------------------------------------------------------------------


def test_a_step_replayed_with_its_key_is_taken_once(web_town, client):
    case = report(121.21, 30.21)
    client.force_login(web_town.dongmen1_member)
    url = f"/api/cases/{case.pk}/actions/comment"
    body = json.dumps({"note": "已到现场"})
    for _ in range(3):
        answer = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
        assert answer.status_code == 200
    assert CaseEvent.objects.filter(case=case, action="comment").count() == 1
    client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert CaseEvent.objects.filter(case=case, action="comment").count() == 2
    accept = f"/api/cases/{case.pk}/actions/accept"
    assert (
        client.post(
            accept, "{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="a"
        ).status_code
        == 200
    )
    again = client.post(accept, "{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="a")
    assert again.status_code == 200 and again.json()["state"] == "accepted"
    bad = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="x" * 151)
    assert bad.status_code == 400


def test_the_pwa_has_a_manifest_and_a_service_worker_for_m(client, db):
    manifest = client.get("/m/manifest.webmanifest").json()
    assert manifest["start_url"] == "/m/" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    sw = client.get("/m/sw.js")
    assert sw["Content-Type"].startswith("application/javascript")
    assert "/m/" in sw.content.decode() and "caches" in sw.content.decode()


# --- residents ---------------------------------------------------------------------------------------


def test_a_resident_adds_a_photo_to_the_report_just_sent(web_town, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = report(121.21, 30.21)
    photo = lambda: SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")  # noqa: E731
    assert client.post("/r/photo/", {"code": "NOPE", "file": photo()}).status_code == 404
    assert client.post("/r/photo/", {"code": case.tracking_code}).status_code == 400
    junk = SimpleUploadedFile("a.jpg", b"not an image", "image/jpeg")
    assert client.post("/r/photo/", {"code": case.tracking_code, "file": junk}).status_code == 400
    ok = client.post("/r/photo/", {"code": case.tracking_code, "file": photo()})
    assert ok.status_code == 201
    assert (
        client.post("/r/photo/", {"code": case.tracking_code, "file": photo()}).status_code == 201
    )
    assert case.photos.count() == 1  # the same picture twice is one photo
    Case.objects.filter(pk=case.pk).update(reported_at=timezone.now() - dt.timedelta(hours=3))
    late = client.post(
        "/r/photo/",
        {
            "code": case.tracking_code,
            "file": SimpleUploadedFile("b.jpg", jpeg((1, 2, 3)), "image/jpeg"),
        },
    )
    assert late.status_code == 403


def test_the_portal_opens_at_a_service_point_or_a_micro_grid(web_town, client):
    t = web_town
    at_point = client.get("/r/", {"point": t.service_point.pk}).content.decode()
    assert "东门社区党群服务点" in at_point and 'data-lat="30.21' in at_point
    at_grid = client.get("/r/", {"grid": t.ximen1.code}).content.decode()
    assert "西门村第1微网格" in at_grid
    assert client.get("/r/", {"grid": "999"}).status_code == 404
    grids = client.get("/r/grids.json").json()
    assert len(grids["features"]) == 4 and "phone" not in json.dumps(grids)


def test_qr_codes_open_the_portal_there(web_town, client):
    import cv2
    import numpy as np

    t = web_town
    svg = client.get(f"/qr/point/{t.service_point.pk}.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert client.get("/qr/point/99999.svg").status_code == 404
    assert client.get("/qr/grid/nope.svg").status_code == 404
    # decode the code as a phone would (render the same content as PNG, read it with OpenCV)
    import segno

    url = f"http://testserver/r/?point={t.service_point.pk}"
    assert url in svg.content.decode()
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=4)
    image = cv2.imdecode(np.frombuffer(out.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert cv2.QRCodeDetector().detectAndDecode(image)[0] == url
    client.force_login(t.dongmen_head)
    sheet = client.get("/qr/").content.decode()
    assert f"/qr/grid/{t.dongmen1.code}.svg" in sheet and t.ximen1.code not in sheet


def test_the_public_board_masks_phones_and_names_the_teams(web_town, client):
    from yemai.grids.choices import TeamKind
    from yemai.grids.models import Team, TeamMember

    t = web_town
    TeamMember.objects.create(
        team=Team.objects.get(grid=t.dongmen1, kind=TeamKind.MANAGEMENT),
        name="陈书记",
        phone="13900001234",
        is_leader=True,
        duty="召集会商",
        area_note="东门路全段",
    )
    html = client.get(f"/board/{t.dongmen1.code}/").content.decode()
    for text in (
        "东门社区第1微网格",
        "陈书记",
        "召集会商",
        "东门路全段",
        "王丽",
        "巡查东门路沿街店铺",
        "东门社区党群服务点",
        "周一至周五 8:30-17:00",
    ):
        assert text in html, text
    assert "13800001111" not in html and "13900001234" not in html
    assert "139****1234" in html and "138****1111" in html
    assert client.get("/board/330282001999999/").status_code == 404


# --- push subscriptions --------------------------------------------------------------------------


def test_the_app_stores_and_removes_its_push_subscription(web_town, client):
    from yemai.notify.models import PushSubscription

    client.force_login(web_town.dongmen1_member)
    assert client.get("/api/notify/push/key").json() == {"public_key": "", "enabled": False}
    body = {"endpoint": "https://push.example/abc", "keys": {"p256dh": "BPk", "auth": "xyz"}}
    made = client.post(
        "/api/notify/push/subscriptions", json.dumps(body), content_type="application/json"
    )
    assert made.status_code == 201
    assert PushSubscription.objects.get().user == web_town.dongmen1_member
    bad = client.post(
        "/api/notify/push/subscriptions",
        json.dumps({**body, "endpoint": "ftp://x"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "endpoint" in bad.content.decode()
    client.force_login(web_town.ximen1_member)
    gone = client.post(
        "/api/notify/push/unsubscribe",
        json.dumps({"endpoint": body["endpoint"]}),
        content_type="application/json",
    )
    assert gone.json() == {"removed": False} and PushSubscription.objects.count() == 1
    client.force_login(web_town.dongmen1_member)
    gone = client.post(
        "/api/notify/push/unsubscribe",
        json.dumps({"endpoint": body["endpoint"]}),
        content_type="application/json",
    )
    assert gone.json() == {"removed": True} and PushSubscription.objects.count() == 0
