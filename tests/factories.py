"""A small town every test shares: two villages of two micro-grids each, and named users.

宗汉街道 (town, 330282001)            lon 121.20–121.24, lat 30.20–30.24
├── 东门社区 (330282001001)  west half  ── 东门1 (south) · 东门2 (north)
└── 西门村   (330282001002)  east half  ── 西门1 (south) · 西门2 (north)
"""

from __future__ import annotations

from types import SimpleNamespace

from shapely.geometry import box

from yemai.accounts.models import User
from yemai.accounts.roles import Role
from yemai.core.validators import id_check_char
from yemai.grids.choices import Level, TeamKind, VillageKind
from yemai.grids.models import Department, ServicePoint, Team, TeamMember
from yemai.grids.services import grid_node_create
from yemai.people.services import resident_create

PASSWORD = "Yemai-test-2026"


def make_id_number(seq: int, birth: str = "19800101", area: str = "330282") -> str:
    body = f"{area}{birth}{seq % 1000:03d}"
    return body + id_check_char(body)


def make_user(username: str, role: str, scope, **extra) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, role=role, scope=scope, **extra
    )
    return user


def build_town() -> SimpleNamespace:
    t = SimpleNamespace()
    t.town = grid_node_create(
        code="330282001",
        name="宗汉街道",
        level=Level.TOWN,
        boundary=box(121.20, 30.20, 121.24, 30.24),
    )
    t.dongmen = grid_node_create(
        code="330282001001",
        name="东门社区",
        level=Level.VILLAGE,
        parent=t.town,
        village_kind=VillageKind.COMMUNITY,
        boundary=box(121.20, 30.20, 121.22, 30.24),
    )
    t.ximen = grid_node_create(
        code="330282001002",
        name="西门村",
        level=Level.VILLAGE,
        parent=t.town,
        village_kind=VillageKind.VILLAGE,
        boundary=box(121.22, 30.20, 121.24, 30.24),
    )
    t.dongmen1 = grid_node_create(
        code="330282001001001",
        name="东门社区第1微网格",
        level=Level.MICRO,
        parent=t.dongmen,
        boundary=box(121.20, 30.20, 121.22, 30.22),
    )
    t.dongmen2 = grid_node_create(
        code="330282001001002",
        name="东门社区第2微网格",
        level=Level.MICRO,
        parent=t.dongmen,
        boundary=box(121.20, 30.22, 121.22, 30.24),
    )
    t.ximen1 = grid_node_create(
        code="330282001002001",
        name="西门村第1微网格",
        level=Level.MICRO,
        parent=t.ximen,
        boundary=box(121.22, 30.20, 121.24, 30.22),
    )
    t.ximen2 = grid_node_create(
        code="330282001002002",
        name="西门村第2微网格",
        level=Level.MICRO,
        parent=t.ximen,
        boundary=box(121.22, 30.22, 121.24, 30.24),
    )
    t.micro_grids = [t.dongmen1, t.dongmen2, t.ximen1, t.ximen2]

    # Named users, as in the house style: a member of 东门 micro-grid 1, its leader, the
    # village head, the centre operator, and their counterparts in the sibling village.
    t.town_head = make_user("town_head", Role.TOWN_HEAD, t.town)
    t.operator = make_user("operator", Role.CENTRE_OPERATOR, t.town)
    t.dongmen_head = make_user("dongmen_head", Role.VILLAGE_HEAD, t.dongmen)
    t.ximen_head = make_user("ximen_head", Role.VILLAGE_HEAD, t.ximen)
    t.dongmen1_leader = make_user("dongmen1_leader", Role.MICRO_LEADER, t.dongmen1)
    t.dongmen1_member = make_user("dongmen1_member", Role.MEMBER, t.dongmen1)
    t.dongmen2_member = make_user("dongmen2_member", Role.MEMBER, t.dongmen2)
    t.ximen1_member = make_user("ximen1_member", Role.MEMBER, t.ximen1)
    t.auditor = make_user("auditor", Role.AUDIT_ADMIN, t.town)

    t.chengguan = Department.objects.create(grid=t.town, code="CG", name="城管中队")
    t.service_point = ServicePoint.objects.create(
        grid=t.dongmen,
        name="东门社区党群服务点",
        lon=121.21,
        lat=30.21,
        opening_hours="周一至周五 8:30-17:00",
    )
    t.service_point.micro_grids.set([t.dongmen1, t.dongmen2])
    t.ximen_point = ServicePoint.objects.create(
        grid=t.ximen,
        name="西门村党群服务点",
        lon=121.23,
        lat=30.21,
    )
    for grid in t.micro_grids:
        for kind in TeamKind.values:
            Team.objects.create(grid=grid, kind=kind)
    t.dongmen1_work = Team.objects.get(grid=t.dongmen1, kind=TeamKind.WORK)
    t.dongmen1_member_row = TeamMember.objects.create(
        team=t.dongmen1_work,
        user=t.dongmen1_member,
        name="王丽",
        phone="13800001111",
        duty="巡查东门路沿街店铺",
        duty_tags=["信息员"],
    )
    t.ximen1_member_row = TeamMember.objects.create(
        team=Team.objects.get(grid=t.ximen1, kind=TeamKind.WORK),
        user=t.ximen1_member,
        name="李强",
        phone="13900002222",
        duty="巡查西门村道",
    )

    t.resident_dongmen1 = resident_create(
        grid=t.dongmen1, name="张三", id_number=make_id_number(11), phone="13812345678"
    )
    t.resident_dongmen2 = resident_create(
        grid=t.dongmen2, name="赵六", id_number=make_id_number(21), phone="13812340002"
    )
    t.resident_ximen1 = resident_create(
        grid=t.ximen1, name="李四", id_number=make_id_number(31, "19750512"), phone="13712345678"
    )
    t.restricted_dongmen1 = resident_create(
        grid=t.dongmen1, name="钱七", id_number=make_id_number(41), tags=["社区矫正"]
    )
    return t
