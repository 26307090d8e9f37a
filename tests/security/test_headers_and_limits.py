"""Headers every answer carries, rate limits, and no traceback from the API."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client

from yemai.core.models import AuditEvent


def test_every_page_sends_a_csp_without_inline_script(town, client):
    client.force_login(town.dongmen_head)
    for url in ["/admin/login/", "/admin/", "/admin/people/resident/", "/"]:
        response = Client().get(url) if url == "/admin/login/" else client.get(url)
        csp = response["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        html = response.content.decode()
        # No inline script, no inline event handler, nothing from another host.
        inline = [s for s in re.findall(r"<script\b([^>]*)>", html) if "src=" not in s]
        inline = [s for s in inline if "application/json" not in s]
        assert inline == [], (url, inline)
        assert not re.search(r"\son[a-z]+\s*=", html), url
        assert not re.search(r"""(src|href)=["']https?://""", html), url


def test_pages_with_personal_data_are_not_cached(town, client):
    client.force_login(town.dongmen_head)
    assert "no-store" in client.get("/admin/people/resident/")["Cache-Control"]


def test_the_login_form_is_rate_limited_per_address(town, settings):
    settings.RATE_LIMITS = "POST:/admin/login/=3/60"
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    codes = [
        attacker.post("/admin/login/", {"username": f"u{i}", "password": "x"}).status_code
        for i in range(4)
    ]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    response = attacker.post("/admin/login/", {"username": "u9", "password": "x"})
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many requests" in response.content.decode()
    assert (
        Client(REMOTE_ADDR="203.0.113.10")
        .post("/admin/login/", {"username": "u", "password": "x"})
        .status_code
        == 200
    )


def test_the_public_api_is_rate_limited_with_a_json_answer(town, settings):
    settings.RATE_LIMITS = "POST:/api/public/=2/60"
    client = Client(REMOTE_ADDR="198.51.100.77")
    for _ in range(2):
        assert (
            client.post("/api/public/cases", {}, content_type="application/json").status_code != 429
        )
    response = client.post("/api/public/cases", {}, content_type="application/json")
    assert response.status_code == 429
    assert "Too many requests" in response.json()["detail"]
    assert response["Retry-After"]


def test_bad_rate_limit_settings_are_refused():
    from django.core.exceptions import ImproperlyConfigured

    from yemai.core.security.ratelimit import parse_rules

    assert parse_rules("POST:/api/public/=30/60")[0].count == 30
    for bad in ["POST:/api/=x/60", "/api/=3/60", "POST:api/=3/60", "POST:/api/=0/60"]:
        with pytest.raises(ImproperlyConfigured):
            parse_rules(bad)


def test_the_api_answers_errors_without_traceback(town):
    from django.test import RequestFactory

    from yemai.api import api, on_unexpected

    request = RequestFactory().get("/api/x")
    response = on_unexpected(request, RuntimeError("secret internals /srv/yemai/x.py line 3"))
    assert response.status_code == 500
    assert response.content == b'{"detail": "internal error"}'
    assert api is not None
    bad = Client().post("/api/public/cases", "{not json", content_type="application/json")
    assert bad.status_code < 500 and b"Traceback" not in bad.content


def test_a_configuration_change_is_audited_once(town, settings):
    from yemai.core.security.config import audit_configuration

    audit_configuration()
    assert audit_configuration() is None  # unchanged: no new record
    settings.LOGIN_LOCK_FAILURES = 7
    change = audit_configuration()
    assert change == {"changed": ["LOGIN_LOCK_FAILURES"]}
    event = AuditEvent.objects.filter(kind="config").latest("pk")
    assert event.detail["settings"]["LOGIN_LOCK_FAILURES"] == 7
    assert str(settings.SECRET_KEY) not in str(event.detail)


def test_people_exports_carry_the_exporter_and_time(town):
    from openpyxl import load_workbook

    from yemai.people.exporters import export_xlsx

    result = export_xlsx(kind="residents", user=town.dongmen_head)
    sheet = load_workbook(io.BytesIO(result.content)).active
    assert "dongmen_head" in sheet["A1"].value and "导出时间" in sheet["A1"].value
    assert "dongmen_head" in sheet.oddHeader.right.text
    assert "dongmen_head" in sheet.oddFooter.left.text


def test_admin_deletions_are_audited(town, client):
    from yemai.grids.models import ServicePoint

    client.force_login(town.town_head)
    point = town.ximen_point
    response = client.post(f"/admin/grids/servicepoint/{point.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ServicePoint.objects.filter(pk=point.pk).exists()
    event = AuditEvent.objects.get(kind="delete", object_id=str(point.pk))
    assert event.username == "town_head" and event.object_type == "grids.servicepoint"


def test_online_map_tiles_are_the_only_foreign_images_allowed(settings):
    from yemai.core.security.middleware import content_security_policy

    settings.MAP_TILES = "none"
    assert "openstreetmap" not in content_security_policy()
    settings.MAP_TILES = "osm"
    policy = content_security_policy()
    img = policy.split("img-src")[1].split(";")[0]
    assert "https://tile.openstreetmap.org" in img
    assert "openstreetmap" not in policy.split("script-src")[1].split(";")[0]


def test_the_resident_portal_posts_are_rate_limited_by_default(town):
    """The default limits (no override here) cover the portal's photo upload: a burst from one
    address is refused with a clear message, another address is not."""
    from django.conf import settings as live

    assert "POST:/r/=" in live.RATE_LIMITS
    burst = Client(REMOTE_ADDR="198.51.100.91")
    codes = [burst.post("/r/photo/", {"code": "NOPE"}).status_code for _ in range(21)]
    assert codes[:20] == [404] * 20 and codes[20] == 429
    refused = burst.post("/r/photo/", {"code": "NOPE"}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 429 and "Too many requests" in refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    other = Client(REMOTE_ADDR="198.51.100.92").post("/r/photo/", {"code": "NOPE"})
    assert other.status_code == 404
    # Reading the portal is not limited by its posts.
    assert burst.get("/r/").status_code == 200


def test_every_public_post_has_a_default_limit(town):
    """Each unauthenticated door that takes a POST is under some default rule."""
    from django.conf import settings as live

    from yemai.core.security.ratelimit import parse_rules

    rules = parse_rules(live.RATE_LIMITS)
    for path in [
        "/login/",
        "/admin/login/",
        "/account/2fa/",
        "/r/photo/",
        "/rate/abc",
        "/api/public/cases",
        "/api/public/rate/abc",
        "/open311/v2/requests.json",
    ]:
        assert any(r.method in {"POST", "*"} and path.startswith(r.prefix) for r in rules), path


def test_the_pages_login_is_rate_limited_by_default(town):
    attacker = Client(REMOTE_ADDR="203.0.113.55")
    codes = [
        attacker.post("/login/", {"username": f"u{i}", "password": "x"}).status_code
        for i in range(21)
    ]
    assert codes[:20] == [200] * 20 and codes[20] == 429


@pytest.mark.parametrize("cookie", ["abc\x00def1234", "x" * 300, "../../etc", "é" * 10])
def test_a_forged_session_cookie_is_ignored_not_a_server_error(town, cookie):
    client = Client()
    client.cookies["sessionid"] = cookie
    for method, url in [("get", "/api/cases"), ("post", "/api/cases/1/reveal"), ("get", "/r/")]:
        response = getattr(client, method)(url)
        assert response.status_code < 500, (url, response.status_code)
    assert client.get("/api/cases").status_code == 401  # no session: not signed in
    signed_in = Client()
    signed_in.force_login(town.operator)  # a real session key still works
    assert signed_in.get("/api/cases").status_code == 200
