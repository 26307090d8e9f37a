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
