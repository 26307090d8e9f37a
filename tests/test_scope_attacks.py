"""Scope probes: users of sibling villages and micro-grids try every admin page and every API
endpoint on each other's grids, people and places. Every answer must be 404 (or, for lists and
searches, simply not contain the other's data).

Visibility is decided here independently of ``restrict()``: by grid *code* prefixes (codes nest,
town 9 digits → village 12 → micro-grid 15), not by the materialized ``path`` the code uses.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.duty.scope_rows import duty_attack_rows
from tests.vision.scope_rows import vision_attack_rows
from yemai.grids.models import GridNode
from yemai.people.models import Resident
from yemai.people.place_services import house_create, household_create, organisation_create
from yemai.vision.models import Camera

PROBES = ["dongmen_head", "ximen_head", "dongmen1_member", "dongmen2_member", "dongmen1_leader"]


@pytest.fixture
def full_town(town, settings, tmp_path):
    """The shared town plus a house, household, shop, camera and case (with a photo) in each
    of two micro-grids."""
    settings.MEDIA_ROOT = tmp_path / "media"
    for grid, n in ((town.dongmen1, 1), (town.ximen1, 2)):
        lon, lat = grid.min_lon + 0.005, grid.min_lat + 0.005
        house = house_create(code=f"H{n}", address=f"测试路{n}号", lon=lon, lat=lat)
        household_create(number=f"HH{n}", house=house)
        organisation_create(name=f"测试商店{n}", kind="shop", lon=lon, lat=lat)
        Camera.objects.create(grid=grid, code=f"CAM{n}", name=f"测试路口{n}", lon=lon, lat=lat)
    _cases_in_both_villages(town)
    _ledger_rows_in_both_villages(town)
    return town


def _ledger_rows_in_both_villages(town):
    """A row of each ledger kind with a workflow in 东门1 and in 西门1 (ids on ``town``)."""
    from tests.factories import make_id_number
    from yemai.ledgers import models as lm

    for grid, n, who in ((town.dongmen1, 1, "居民甲"), (town.ximen1, 2, "李四")):
        key = grid.code[-6:-3]
        team = lm.VolunteerTeam.objects.create(grid=grid, name=f"测试志愿队{n}")
        lm.Activity.objects.create(
            type=lm.ActivityType.objects.get(name="普法讲座"), title=f"测试讲座{n}",
            date="2026-03-05", grid=grid, volunteer_team=team, participants=10,
        )  # fmt: skip
        petition = lm.Petition.objects.create(
            grid=grid, number=f"XF{n}", petitioner=who, received_on="2026-01-02", subject="测试事项"
        )
        household = lm.WelfareHousehold.objects.create(
            grid=grid, kind="dibao", head_name=who, id_number=make_id_number(700 + n),
            monthly_amount=800, entered_on="2026-01-01",
        )  # fmt: skip
        deed = lm.GoodDeed.objects.create(
            grid=grid, person=who, deed_on="2026-06-06", description="救人"
        )
        item = lm.ServiceItem.objects.create(grid=grid, kind="tool", name=f"测试梯子{n}", stock=1)
        request = lm.ServiceRequest.objects.create(
            item=item, grid=grid, resident_name=who, requested_on="2026-05-01"
        )
        campaign = lm.Campaign.objects.create(
            grid=grid.parent, name=f"测试会战{n}", start="2026-08-01", end="2026-09-01"
        )
        setattr(town, f"ledger_{key}", {
            "team": team.pk, "petition": petition.pk, "household": household.pk, "deed": deed.pk,
            "request": request.pk, "campaign": campaign.pk,
        })  # fmt: skip


def _cases_in_both_villages(town):
    """A resident's case with a photo in 东门1 and in 西门1 (the 西门 one names 西门村)."""
    from yemai.cases.choices import PhotoKind, Source
    from yemai.cases.evidence import photo_add
    from yemai.cases.models import Category
    from yemai.cases.services import case_report

    stall = Category.objects.get(code="0203")
    for grid, text, name in (
        (town.dongmen1, "东门路口占道经营", "居民甲"),
        (town.ximen1, "西门村路口占道经营", "李四"),
    ):
        case, _ = case_report(
            source=Source.RESIDENT,
            category=stall,
            description=text,
            lon=grid.min_lon + 0.004,
            lat=grid.min_lat + 0.004,
            reporter_name=name,
            reporter_phone="13912345678",
        )
        photo_add(case=case, file=tiny_png(), kind=PhotoKind.REPORT)
        setattr(town, f"case_{grid.code[-6:-3]}", case)
    town.case_ximen1 = town.case_002
    town.case_dongmen1 = town.case_001


def tiny_png(colour=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def grid_of(obj) -> GridNode | None:
    field = type(obj).scope_field
    if field == "self":
        return obj
    target = obj
    for part in field.split("__"):
        target = getattr(target, part)
        if target is None:
            return None
    return target


def expected_visible(user, obj) -> bool:
    grid = grid_of(obj)
    if grid is None or not grid.code.startswith(user.scope.code):
        return False
    if isinstance(obj, Resident):
        hidden = {t.name for t in obj.tags.all() if t.restricted} - set(user.granted_tags)
        return not hidden
    return True


def scoped_admin_models():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if hasattr(model.objects, "restrict")
    ]


def test_every_admin_model_with_grid_data_is_scoped():
    from yemai.core.admin_base import ScopedModelAdmin

    unscoped = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if hasattr(model, "scope_field") and not isinstance(model_admin, ScopedModelAdmin)
    ]
    assert unscoped == []


@pytest.mark.parametrize("probe", PROBES)
def test_admin_change_pages_answer_404_outside_the_scope(full_town, client, probe):
    user = getattr(full_town, probe)
    client.force_login(user)
    checked = 0
    for model, model_admin in scoped_admin_models():
        info = (model._meta.app_label, model._meta.model_name)
        for obj in model.objects.all():
            response = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            if not model_admin.has_view_permission(_request_for(user)):
                assert response.status_code == 403, (model, obj)
            elif expected_visible(user, obj):
                assert response.status_code == 200, (model, obj, response.status_code)
            else:
                assert response.status_code == 404, (model, obj, response.status_code)
            checked += 1
    assert checked > 30


@pytest.mark.parametrize("probe", PROBES)
def test_admin_lists_and_searches_show_only_the_scope(full_town, client, probe):
    user = getattr(full_town, probe)
    client.force_login(user)
    for model, model_admin in scoped_admin_models():
        if not model_admin.has_view_permission(_request_for(user)):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        url = reverse("admin:{}_{}_changelist".format(*info))
        response = client.get(url)
        assert response.status_code == 200, model
        shown = {o.pk for o in response.context["cl"].result_list}
        expected = {o.pk for o in model.objects.all() if expected_visible(user, o)}
        assert shown == expected, model
        if model_admin.search_fields:
            for obj in model.objects.all():
                if expected_visible(user, obj):
                    continue
                response = client.get(url, {"q": str(getattr(obj, "name", "")) or obj.pk})
                assert obj.pk not in {o.pk for o in response.context["cl"].result_list}


def test_admin_search_by_a_hidden_residents_id_number_finds_nothing(full_town, client):
    from tests.factories import make_id_number

    client.force_login(full_town.dongmen_head)
    url = reverse("admin:people_resident_changelist")
    own = client.get(url, {"q": make_id_number(11)})
    assert [r.name for r in own.context["cl"].result_list] == ["张三"]
    sibling = client.get(url, {"q": make_id_number(31, "19750512")})
    assert list(sibling.context["cl"].result_list) == []
    restricted = client.get(url, {"q": make_id_number(41)})
    assert list(restricted.context["cl"].result_list) == []


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


# --- The API -------------------------------------------------------------------------------
#
# Every route of the API is in this table (a test below fails when one is missing). Each
# entry builds a request that a user of 东门社区 aims at 西门村: the answer must be 404, or —
# for lists, searches, locate and exports — contain nothing of 西门村; and no write may land.

FOREIGN_MARKERS = ["西门村", "李四", "李强", "330282001002", "测试商店2", "测试路2号", "HH2", 'H2"']


def xlsx_text(content: bytes) -> str:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def resident_xlsx(grid_code: str) -> bytes:
    import io

    from openpyxl import Workbook

    from tests.factories import make_id_number

    book = Workbook()
    book.active.append(["姓名", "公民身份号码", "联系电话", "所属微网格", "户籍类型"])
    book.active.append(["入侵者", make_id_number(901), "13911112222", grid_code, "户籍"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def grid_geojson() -> bytes:
    import json

    from shapely.geometry import box, mapping

    feature = {
        "type": "Feature",
        "properties": {"code": "330282001002003", "name": "入侵微网格"},
        "geometry": mapping(box(121.23, 30.23, 121.235, 30.235)),
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def _ids(t):
    from yemai.grids.models import Team, TeamMember
    from yemai.people.models import House, Household, Organisation

    return {
        "team": Team.objects.get(grid=t.ximen1, kind="work").pk,
        "member": TeamMember.objects.get(name="李强").pk,
        "house": House.objects.get(code="H2").pk,
        "household": Household.objects.get(number="HH2").pk,
        "organisation": Organisation.objects.get(name="测试商店2").pk,
        "resident": t.resident_ximen1.pk,
    }


def attack_table(t):
    """route → (method, url, request kwargs, kind) where kind is 'detail', 'list' or 'write'."""
    i = _ids(t)
    x1 = t.ximen1.code
    pt = {"lon": 121.23, "lat": 30.21}
    j = {"content_type": "application/json"}
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(name, content):
        return {"data": {"file": SimpleUploadedFile(name, content)}}

    return {
        "GET /api/grids/": ("get", "/api/grids/", {}, "list"),
        "GET /api/grids/tree": ("get", "/api/grids/tree", {}, "list"),
        "GET /api/grids/nodes/{code}": ("get", f"/api/grids/nodes/{x1}", {}, "detail"),
        "GET /api/grids/export.geojson": (
            "get",
            f"/api/grids/export.geojson?root={t.ximen.code}",
            {},
            "detail",
        ),
        "GET /api/grids/export.zip": (
            "get",
            f"/api/grids/export.zip?root={t.ximen.code}",
            {},
            "detail",
        ),
        "POST /api/grids/import": (
            "post",
            "/api/grids/import",
            upload("g.geojson", grid_geojson()),
            "write",
        ),
        "GET /api/grids/locate": ("get", "/api/grids/locate", {"data": pt}, "list"),
        "POST /api/grids/locate": (
            "post",
            "/api/grids/locate",
            {"data": json.dumps([pt]), **j},
            "list",
        ),
        "GET /api/grids/teams": ("get", "/api/grids/teams", {}, "list"),
        "GET /api/grids/teams/{team_id}": ("get", f"/api/grids/teams/{i['team']}", {}, "detail"),
        "POST /api/grids/teams/{team_id}/members": (
            "post",
            f"/api/grids/teams/{i['team']}/members",
            {"data": json.dumps({"name": "入侵者"}), **j},
            "write",
        ),
        "POST /api/grids/team-members/{member_id}/reveal": (
            "post",
            f"/api/grids/team-members/{i['member']}/reveal",
            {},
            "detail",
        ),
        "GET /api/grids/service-points": ("get", "/api/grids/service-points", {}, "list"),
        "GET /api/grids/service-points/{point_id}": (
            "get",
            f"/api/grids/service-points/{t.ximen_point.pk}",
            {},
            "detail",
        ),
        "POST /api/grids/service-points": (
            "post",
            "/api/grids/service-points",
            {"data": json.dumps({"grid": t.ximen.code, "name": "入侵点", **pt}), **j},
            "write",
        ),
        "GET /api/grids/departments": ("get", "/api/grids/departments", {}, "list"),
        "GET /api/grids/departments/{department_id}": (
            "get",
            f"/api/grids/departments/{t.chengguan.pk}",
            {},
            "detail",
        ),
        "POST /api/grids/departments": (
            "post",
            "/api/grids/departments",
            {"data": json.dumps({"grid": t.town.code, "code": "X", "name": "入侵部门"}), **j},
            "write",
        ),
        **{
            f"{method} /api/people/{plural}/{{{single}_id}}": (
                method.lower(),
                f"/api/people/{plural}/{i[single]}",
                {"data": json.dumps({}), **j} if method == "PATCH" else {},
                "write" if method in {"PATCH", "DELETE"} else "detail",
            )
            for plural, single in [
                ("residents", "resident"),
                ("houses", "house"),
                ("households", "household"),
                ("organisations", "organisation"),
            ]
            for method in ("GET", "PATCH", "DELETE")
        },
        "GET /api/people/residents/{resident_id}/reveal": (
            "get",
            f"/api/people/residents/{i['resident']}/reveal",
            {},
            "detail",
        ),
        "GET /api/people/houses/{house_id}/reveal": (
            "get",
            f"/api/people/houses/{i['house']}/reveal",
            {},
            "detail",
        ),
        "GET /api/people/organisations/{organisation_id}/reveal": (
            "get",
            f"/api/people/organisations/{i['organisation']}/reveal",
            {},
            "detail",
        ),
        **{
            f"GET /api/people/{plural}": ("get", f"/api/people/{plural}", {}, "list")
            for plural in ("residents", "houses", "households", "organisations")
        },
        "GET /api/people/residents?q=": (
            "get",
            "/api/people/residents",
            {"data": {"q": "李四"}},
            "list",
        ),
        "POST /api/people/residents": (
            "post",
            "/api/people/residents",
            {
                "data": json.dumps(
                    {"name": "入侵者", "id_number": "330282198001019011", "grid": x1}
                ),
                **j,
            },
            "write",
        ),
        "POST /api/people/houses": (
            "post",
            "/api/people/houses",
            {"data": json.dumps({"code": "HX", "address": "入侵路1号", **pt}), **j},
            "write",
        ),
        "POST /api/people/households": (
            "post",
            "/api/people/households",
            {"data": json.dumps({"number": "HHX", "grid": x1}), **j},
            "write",
        ),
        "POST /api/people/organisations": (
            "post",
            "/api/people/organisations",
            {"data": json.dumps({"name": "入侵商店", "kind": "shop", **pt}), **j},
            "write",
        ),
        "POST /api/people/import/{kind}": (
            "post",
            "/api/people/import/residents",
            upload("r.xlsx", resident_xlsx(x1)),
            "write",
        ),
        **_case_rows(t),
        **_ledger_rows(t),
        **_public_rows(t),
        **_push_rows(t),
        **vision_attack_rows(t),
        **duty_attack_rows(t),
        **{
            f"GET /api/people/export/{{kind}}.xlsx?{kind}": (
                "get",
                f"/api/people/export/{kind}.xlsx",
                {},
                "list",
            )
            for kind in ("residents", "houses", "households", "organisations")
        },
    }


def _case_rows(t):
    """The cases API: a 东门 user aims at the 西门1 case (its id, number, photo)."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    case = t.case_ximen1
    photo = case.photos.first()
    j = {"content_type": "application/json"}
    base = f"/api/cases/{case.pk}"
    report = {"category": "0203", "description": "入侵上报", "lon": 121.23, "lat": 30.21}
    return {
        "GET /api/cases": ("get", "/api/cases", {}, "list"),
        "GET /api/cases?q=": ("get", "/api/cases", {"data": {"q": case.number}}, "list"),
        "GET /api/cases?grid=": ("get", "/api/cases", {"data": {"grid": t.ximen1.code}}, "list"),
        "POST /api/cases": ("post", "/api/cases", {"data": json.dumps(report), **j}, "write"),
        "GET /api/cases/mine": ("get", "/api/cases/mine", {}, "list"),
        "GET /api/cases/queue": ("get", "/api/cases/queue", {}, "list"),
        "GET /api/cases/categories": ("get", "/api/cases/categories", {}, "list"),
        "GET /api/cases/number/{number}": ("get", f"/api/cases/number/{case.number}", {}, "detail"),
        "GET /api/cases/{case_id}": ("get", base, {}, "detail"),
        **{
            f"POST /api/cases/{{case_id}}/actions/{{action}}?{action}": (
                "post",
                f"{base}/actions/{action}",
                {"data": json.dumps(body), **j},
                "detail",
            )
            for action, body in (
                ("accept", {}),
                ("comment", {"note": "入侵"}),
                ("send_back", {}),
                ("park", {"reason": "入侵"}),
                ("withdraw", {}),
            )
        },
        "GET /api/cases/{case_id}/assignees": ("get", f"{base}/assignees", {}, "detail"),
        "POST /api/cases/{case_id}/reveal": ("post", f"{base}/reveal", {}, "detail"),
        "POST /api/cases/{case_id}/photos": (
            "post",
            f"{base}/photos",
            {"data": {"file": SimpleUploadedFile("p.png", tiny_png((1, 2, 3))), "kind": "after"}},
            "detail",
        ),
        **{
            f"GET /api/cases/{{case_id}}/photos/{{photo_id}}?{variant}": (
                "get",
                f"{base}/photos/{photo.pk}",
                {"data": {"variant": variant}},
                "detail",
            )
            for variant in ("public", "thumbnail", "original")
        },
    }


def _ledger_rows(t):
    """The ledgers API: a 东门 user aims at 西门1's rows (team, petition, household …)."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    i = t.ledger_002
    j = {"content_type": "application/json"}
    book = Workbook()
    book.active.append(["所属网格编码", "队伍名称"])
    book.active.append([t.ximen1.code, "入侵队"])
    import io

    buffer = io.BytesIO()
    book.save(buffer)
    base = "/api/ledgers"
    team = f"{base}/volunteer-teams/{i['team']}"
    return {
        "GET /api/ledgers/kinds": ("get", f"{base}/kinds", {}, "list"),
        "GET /api/ledgers/{kind}": ("get", f"{base}/petitions", {}, "list"),
        "GET /api/ledgers/{kind}?grid=": (
            "get", f"{base}/activities", {"data": {"grid": t.ximen1.code}}, "detail",
        ),
        "GET /api/ledgers/export/{kind}.xlsx": ("get", f"{base}/export/welfare-households.xlsx", {}, "list"),
        "GET /api/ledgers/export/{kind}.xlsx?grid=": (
            "get", f"{base}/export/activities.xlsx", {"data": {"grid": t.ximen.code}}, "detail",
        ),
        "POST /api/ledgers/import/{kind}": (
            "post", f"{base}/import/volunteer-teams",
            {"data": {"file": SimpleUploadedFile("t.xlsx", buffer.getvalue())}}, "write",
        ),
        "POST /api/ledgers/{kind}": (
            "post", f"{base}/volunteer-teams",
            {"data": json.dumps({"grid": t.ximen1.code, "name": "入侵队"}), **j}, "write",
        ),
        "GET /api/ledgers/{kind}/{row_id}": ("get", team, {}, "detail"),
        "PATCH /api/ledgers/{kind}/{row_id}": (
            "patch", team, {"data": json.dumps({"name": "改名"}), **j}, "write",
        ),
        "DELETE /api/ledgers/{kind}/{row_id}": ("delete", team, {}, "write"),
        "POST /api/ledgers/{kind}/{row_id}/reveal": (
            "post", f"{base}/welfare-households/{i['household']}/reveal", {}, "detail",
        ),
        "GET /api/ledgers/campaigns/{row_id}/ranking": (
            "get", f"{base}/campaigns/{i['campaign']}/ranking", {}, "detail",
        ),
        "POST /api/ledgers/petitions/{row_id}/close": (
            "post", f"{base}/petitions/{i['petition']}/close",
            {"data": json.dumps({"closure_number": "入侵"}), **j}, "write",
        ),
        "POST /api/ledgers/welfare-households/{row_id}/reviews": (
            "post", f"{base}/welfare-households/{i['household']}/reviews",
            {"data": json.dumps({"date": "2026-03-01", "outcome": "exit"}), **j}, "write",
        ),
        "POST /api/ledgers/good-deeds/{row_id}/transition": (
            "post", f"{base}/good-deeds/{i['deed']}/transition",
            {"data": json.dumps({"to": "investigating"}), **j}, "write",
        ),
        "POST /api/ledgers/service-requests/{row_id}/lend": (
            "post", f"{base}/service-requests/{i['request']}/lend",
            {"data": json.dumps({"return_due": "2026-05-08"}), **j}, "write",
        ),
        "POST /api/ledgers/service-requests/{row_id}/finish": (
            "post", f"{base}/service-requests/{i['request']}/finish", {}, "write",
        ),
    }  # fmt: skip


def api_routes() -> set[str]:
    from yemai.api import api

    schema = api.get_openapi_schema()
    return {f"{m.upper()} {path}" for path, ops in schema["paths"].items() for m in ops}


def test_every_api_route_is_probed(full_town):
    probed = {key.split("?")[0] for key in attack_table(full_town)}
    assert api_routes() - probed == set()


def _row_counts():
    from yemai.cases.models import Case, CaseEvent, CasePhoto
    from yemai.grids.models import Department, GridNode, ServicePoint, TeamMember
    from yemai.people.models import House, Household, Organisation

    models = [
        Case,
        CaseEvent,
        CasePhoto,
        GridNode,
        Department,
        ServicePoint,
        TeamMember,
        Resident,
        House,
        Household,
        Organisation,
    ]
    return {m.__name__: m.objects.count() for m in models}


@pytest.fixture
def attackers(full_town):
    from tests.factories import make_user
    from yemai.accounts.roles import Role

    # A village-scoped system administrator may manage grids: the grid write endpoints are
    # probed with scope, not only with a role check.
    sysadmin = make_user("dongmen_sysadmin", Role.SYSTEM_ADMIN, full_town.dongmen)
    return [full_town.dongmen_head, full_town.dongmen1_leader, full_town.dongmen1_member, sysadmin]


def test_sibling_village_users_get_404_or_nothing_from_every_route(full_town, attackers, client):
    from yemai.cases.models import Case

    table = attack_table(full_town)
    before = _row_counts()
    failures = []
    for user in attackers:
        client.force_login(user)
        for route, (method, url, kwargs, kind) in table.items():
            response = getattr(client, method)(url, **kwargs)
            status = response.status_code
            if status >= 500:
                failures.append(f"{user} {route}: {status}")
                continue
            body = response.content
            if body[:2] == b"PK" and url.endswith(".xlsx"):
                text = xlsx_text(body)
            elif body[:2] == b"PK":
                text = ""  # a zipped Shapefile of the own scope; a foreign root must 404
            else:
                text = body.decode("utf-8", "replace")
            if kind == "public":
                continue  # open to anyone by design; probed for leaks in tests/cases/test_public.py
            if kind == "detail" and status not in (403, 404):
                failures.append(f"{user} {route}: {status}, expected 404")
            if kind == "write" and 200 <= status < 300:
                failures.append(f"{user} {route}: {status}, a write outside the scope landed")
            leaked = [m for m in FOREIGN_MARKERS if m in text]
            if leaked and status < 400:
                failures.append(f"{user} {route}: leaked {leaked}")
    assert failures == []
    assert _row_counts() == before
    assert Resident.objects.get(pk=full_town.resident_ximen1.pk).name == "李四"
    case = full_town.case_ximen1
    assert Case.objects.filter(pk=case.pk, state="dispatched", updated_at=case.updated_at).exists()


def _push_rows(t):
    """Web push (the member app): a subscription is the caller's own; removing a stranger's
    endpoint removes nothing, and nothing lists anyone's subscriptions."""
    import json

    j = {"content_type": "application/json"}
    return {
        "GET /api/notify/push/key": ("get", "/api/notify/push/key", {}, "list"),
        "POST /api/notify/push/subscriptions": (
            "post",
            "/api/notify/push/subscriptions",
            {
                "data": json.dumps({"endpoint": "ftp://x", "keys": {"p256dh": "k", "auth": "a"}}),
                **j,
            },
            "write",
        ),
        "POST /api/notify/push/unsubscribe": (
            "post",
            "/api/notify/push/unsubscribe",
            {"data": json.dumps({"endpoint": "https://push.example/ximen"}), **j},
            "list",
        ),
    }


def _public_rows(t):
    """The residents' endpoints need no account: they are listed so that none is forgotten,
    and probed with bodies that store nothing (their own tests cover what they show)."""
    import json

    j = {"content_type": "application/json"}
    return {
        "POST /api/public/cases": (
            "post",
            "/api/public/cases",
            {"data": json.dumps({"category": "9999"}), **j},
            "public",
        ),
        "GET /api/public/similar": (
            "get",
            "/api/public/similar",
            {"data": {"category": "0203", "lon": 121.23, "lat": 30.21}},
            "list",
        ),
        "GET /api/public/cases/{code}": ("get", "/api/public/cases/NOSUCH42", {}, "public"),
        "GET /api/public/rate/{token}": ("get", "/api/public/rate/" + "x" * 43, {}, "public"),
        "POST /api/public/rate/{token}": (
            "post",
            "/api/public/rate/" + "x" * 43,
            {"data": json.dumps({"score": 5, "fixed": "yes"}), **j},
            "public",
        ),
        "POST /api/public/cases/{code}/rating": (
            "post",
            "/api/public/cases/NOSUCH42/rating",
            {"data": json.dumps({"score": 5, "fixed": "yes"}), **j},
            "public",
        ),
    }
