"""Demo logins, one per role, all with the same published password. Demo databases only."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from yemai.accounts.models import User
from yemai.accounts.roles import Role
from yemai.grids.models import Department, TeamMember

from .loader import Loaded
from .plan import TownPlan

DEMO_PASSWORD = "Yemai@demo1"
# username, role, title shown in the table (the superuser has no role and no scope)
LOGINS = [
    ("admin", "", "超级管理员（不限范围，仅用于配置）"),
    ("town_head", Role.TOWN_HEAD, "总网格长"),
    ("operator", Role.CENTRE_OPERATOR, "网格中心操作员"),
    ("village_head", Role.VILLAGE_HEAD, "村居网格长"),
    ("micro_leader", Role.MICRO_LEADER, "微网格长"),
    ("member", Role.MEMBER, "微网格员"),
    ("department", Role.DEPARTMENT, "条线部门联络员"),
    ("auditor", Role.AUDIT_ADMIN, "审计管理员"),
]


@dataclass(frozen=True)
class Login:
    username: str
    role: str  # Chinese title, for the printed table
    scope: str
    name: str


@transaction.atomic
def demo_logins_create(*, plan: TownPlan, loaded: Loaded) -> list[Login]:
    """Create the demo accounts. Refuses outside ``settings.DEMO``: a known password must never
    reach a real town's database."""
    if not settings.DEMO:
        raise ImproperlyConfigured("demo logins exist only with YEMAI_DEMO=1")
    nodes = loaded.nodes
    town = nodes[plan.town.code]
    village = nodes[plan.villages[0].code]
    micro = nodes[next(g.code for g in plan.micro_grids if g.parent == village.code)]
    in_micro = [
        (m, row)
        for m, row in zip(plan.members, loaded.members, strict=True)
        if m.grid_code == micro.code
    ]
    leader = next(row for m, row in in_micro if m.is_leader)
    member = next(row for m, row in in_micro if m.team == "work")
    chengguan = Department.objects.get(grid=town, code="CG")
    password = make_password(DEMO_PASSWORD)  # hashed once: the same password for every login

    scopes = {
        "admin": (None, "管理员", {}),
        "town_head": (town, "总网格长", {}),
        "operator": (town, "网格中心值班员", {}),
        "village_head": (village, f"{village.name}网格长", {}),
        "micro_leader": (micro, leader.name, {"row": leader}),
        "member": (micro, member.name, {"row": member}),
        "department": (town, f"{chengguan.name}联络员", {"department": chengguan}),
        "auditor": (town, "审计管理员", {}),
    }
    logins = []
    for username, role, title in LOGINS:
        scope, name, extra = scopes[username]
        user = User(
            username=username,
            password=password,
            first_name=name,
            role=role,
            scope=scope,
            department=extra.get("department"),
            is_superuser=username == "admin",
            is_staff=username == "admin",
        )
        user.full_clean(exclude=["password"])
        user.save()
        row: TeamMember | None = extra.get("row")
        if row is not None:
            TeamMember.objects.filter(pk=row.pk).update(user=user)
            row.user = user
        logins.append(Login(username, title, scope.name if scope else "全部", name))
    demo_field_accounts_create(plan=plan, loaded=loaded)
    return logins


def demo_field_accounts_create(*, plan: TownPlan, loaded: Loaded) -> int:
    """An account for every other micro-grid leader and work-team member, as a real town gives
    each of them the phone app: routing sends a case to the member on duty, so without these
    only the one demo member's micro-grid would get cases dispatched. They have no usable
    password (nobody logs in as them); the demo logins above are the ones to use."""
    pairs = list(zip(plan.members, loaded.members, strict=True))
    # The micro-grid of the demo logins keeps its work to the demo member: whatever is
    # reported there (a camera's case, a resident's) lands on the phone a newcomer looks at.
    demo_grids = {m.grid_code for m, row in pairs if row.user_id is not None}
    rows = [
        (m, row)
        for m, row in pairs
        if row.user_id is None
        and m.grid_code not in demo_grids
        and (m.is_leader or m.team == "work")
    ]
    users = [
        User(
            username=f"g{m.grid_code[-9:]}{n:04d}",
            password=make_password(None),
            first_name=m.name,
            role=Role.MICRO_LEADER if m.is_leader else Role.MEMBER,
            scope=loaded.nodes[m.grid_code],
        )
        for n, (m, _row) in enumerate(rows)
    ]
    User.objects.bulk_create(users, batch_size=500)
    made = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    for user, (_m, row) in zip(users, rows, strict=True):
        row.user = made[user.username]
    TeamMember.objects.bulk_update([row for _m, row in rows], ["user"], batch_size=500)
    return len(users)


def logins_table(logins: list[Login]) -> str:
    """The logins as a plain table for the terminal."""
    rows = [("用户名 username", "角色 role", "范围 scope")]
    rows += [(x.username, x.role, x.scope) for x in logins]

    def width(text: str) -> int:  # CJK characters take two columns in a terminal
        return sum(2 if ord(c) > 0x2E80 else 1 for c in text)

    widths = [max(width(r[i]) for r in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row))
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"password for every demo login / 所有演示账号的密码: {DEMO_PASSWORD}")
    lines.append(
        "admin, auditor, town_head, operator, village_head: set up a second factor (TOTP) at "
        "first sign-in; the demo page shows the code / 首次登录需设置双因素认证，演示页面显示验证码"
    )
    lines.append("5 wrong passwords lock a login for 15 minutes / 连续5次密码错误锁定15分钟")
    return "\n".join(line.rstrip() for line in lines)


def logins_existing() -> list[Login]:
    """The demo logins already in the database (for ``serve --demo`` on a second start)."""
    users = User.objects.filter(username__in=[u for u, _, _ in LOGINS]).select_related("scope")
    by_name = {u.username: u for u in users}
    return [
        Login(name, title, u.scope.name if u.scope else "全部", u.first_name)
        for name, _role, title in LOGINS
        if (u := by_name.get(name)) is not None
    ]
