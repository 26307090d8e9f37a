"""Stored XSS: script payloads in every free-text field, rendered by headless Chromium.

Every page in ``PAGES`` is opened as the user named there; a payload that runs sets
``window.__xss`` or opens a dialog. Add pages to ``PAGES`` as they are built (the keys in
braces are filled from ``_plant``'s ids). Screenshots: tests/artifacts/screenshots/xss_*.png.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.test import Client

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"

PAYLOADS = [
    "<img src=x onerror=window.__xss=1;alert(1)>",
    "<script>window.__xss=2;alert(2)</script>",
    '"><svg onload=window.__xss=3;alert(3)>',
    "javascript:window.__xss=4;alert(4)",
    '\'><iframe srcdoc="<script>parent.__xss=5</script>">',
]

# (user, url): every page that shows the planted text.
PAGES = [
    ("dongmen_head", "/admin/"),
    ("dongmen_head", "/admin/people/resident/"),
    ("dongmen_head", "/admin/people/resident/?q=x"),
    ("dongmen_head", "/admin/people/resident/{resident}/change/"),
    ("dongmen_head", "/admin/people/house/"),
    ("dongmen_head", "/admin/people/organisation/"),
    ("town_head", "/admin/grids/gridnode/"),
    ("town_head", "/admin/grids/gridnode/{grid}/change/"),
    ("town_head", "/admin/grids/servicepoint/"),
    ("town_head", "/admin/grids/servicepoint/{point}/change/"),
    ("town_head", "/admin/grids/teammember/"),
    ("town_head", "/admin/grids/teammember/{member}/change/"),
    ("operator", "/admin/cases/case/"),
    ("operator", "/admin/cases/case/{case}/change/"),
    ("auditor", "/admin/core/auditevent/"),
    ("operator", "/"),
    ("operator", "/centre/"),
    ("dongmen1_leader", "/leader/"),
    ("dongmen1_member", "/m/"),
    ("dongmen_head", "/"),
]


def _plant(town) -> dict:
    """Payloads into every free-text field the pages show; returns the ids for PAGES."""
    from yemai.cases.choices import Source
    from yemai.cases.models import Category
    from yemai.cases.services import case_report
    from yemai.core.audit import audit_record
    from yemai.grids.models import GridNode, ServicePoint, TeamMember
    from yemai.people.models import Resident
    from yemai.people.place_services import house_create, organisation_create

    p = PAYLOADS
    grid = town.dongmen1
    GridNode.objects.filter(pk=grid.pk).update(name=f"东门{p[0]}")
    ServicePoint.objects.filter(pk=town.service_point.pk).update(
        name=f"服务点{p[2]}", opening_hours=p[1]
    )
    TeamMember.objects.filter(pk=town.dongmen1_member_row.pk).update(
        name=f"王丽{p[0]}", duty=f"{p[1]}{p[2]}"
    )
    Resident.objects.filter(pk=town.resident_dongmen1.pk).update(name=f"张{p[0]}")
    for resident, payload in zip(Resident.objects.filter(grid=grid), p[1:], strict=False):
        resident.name = f"居民{payload}"[:50]
        resident.save(update_fields=["name"])
    lon, lat = grid.min_lon + 0.004, grid.min_lat + 0.004
    house_create(code="HX", address=f"东门路{p[2]}", lon=lon, lat=lat)
    organisation_create(name=f"商店{p[0]}", kind="shop", lon=lon, lat=lat)
    case, _ = case_report(
        source=Source.RESIDENT,
        category=Category.objects.get(code="0203"),
        description=" ".join(p),
        lon=lon,
        lat=lat,
        address=p[3],
        reporter_name=f"居民{p[2]}"[:40],
        reporter_phone="13912345678",
    )
    audit_record(user=None, kind="login_failed", username=p[0][:150], detail={"x": p[1]})
    return {
        "resident": town.resident_dongmen1.pk,
        "grid": grid.pk,
        "point": town.service_point.pk,
        "member": town.dongmen1_member_row.pk,
        "case": case.pk,
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_planted_script_runs_on_any_page(live_server, browser):
    from tests.factories import build_town
    from yemai.accounts.models import User

    # The detector itself works: the same payloads, unescaped and without the CSP, do run.
    probe = browser.new_page()
    probe.on("dialog", lambda d: d.dismiss())
    probe.set_content(PAYLOADS[0] + PAYLOADS[2])
    probe.wait_for_timeout(300)
    assert probe.evaluate("() => window.__xss || 0") in (1, 3)
    probe.close()

    from tests.security.helpers import reseed_reference_data

    reseed_reference_data()
    town = build_town()
    ids = _plant(town)
    SHOTS.mkdir(parents=True, exist_ok=True)
    ran, violations, failed = [], [], []
    sessions = {}
    for n, (username, template) in enumerate(PAGES, start=1):
        url = template.format(**ids)
        if username not in sessions:
            client = Client()
            client.force_login(User.objects.get(username=username))
            sessions[username] = client.cookies["sessionid"].value
        context = browser.new_context(base_url=live_server.url)
        context.add_cookies(
            [{"name": "sessionid", "value": sessions[username], "url": live_server.url}]
        )
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
        page.on(
            "console",
            lambda m, url=url: (
                violations.append(f"{url}: {m.text}")
                if "Content Security Policy" in m.text
                else None
            ),
        )
        response = page.goto(url)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(150)
        status = response.status if response else 0
        if status >= 400:
            failed.append(f"{username} {url}: {status}")
        if dialogs or page.evaluate("() => window.__xss || 0"):
            ran.append(f"{username} {url}: {dialogs or page.evaluate('() => window.__xss')}")
        name = re.sub(r"\W+", "_", f"{username}{url}").strip("_")
        page.screenshot(path=str(SHOTS / f"xss_{n:02d}_{name}.png"), full_page=True)
        context.close()
    assert ran == []
    assert failed == []
    # The pages themselves need no inline script: nothing was refused by the CSP either.
    assert violations == []
