"""Demo cases: a season of the closed loop in the demo town, written through the real services.

Every case is taken in by ``case_report`` (located, routed to the member on duty, numbered) and
moved by ``workflow.case_transition`` as the people in it would move it, at the times they
would, so clocks, deadlines, history, notices and ratings are what the pages and the metrics
would show for real work. Most cases are old and closed (a rating on many), recent ones are at
every step of the loop, a few are overdue; the demo member's and leader's micro-grid gets its
share of each so that their pages have work on them. Last year gets a smaller set, closed, so
that year-on-year comparisons have something to compare with.
"""

from __future__ import annotations

import datetime as dt
import io
import random

from django.contrib.auth import get_user_model
from django.utils import timezone
from shapely.geometry import Point
from tqdm import tqdm

from . import workflow
from .choices import Action, Fixed, PhotoKind, RejectReason, Source, State
from .evidence import photo_add
from .models import Category
from .rating import rating_submit, rating_token_issue
from .services import case_report, category_link_departments

# Cases this year and last year at scale 1 (the demo town has 172 micro-grids).
THIS_YEAR = 420
LAST_YEAR = 150
# Share of the demo member's micro-grid among this year's cases.
HOME_SHARE = 0.08

PLACES = [
    "{road}{n}号门口",
    "{road}与{road2}交叉口",
    "{road}{n}号对面",
    "{road}菜场旁",
    "{road}公交站",
]
WHAT = {
    "0101": "路边有一堆生活垃圾，已经发臭",
    "0102": "人行道上堆着建筑材料，行人只能绕行",
    "0103": "店铺在行道树之间拉绳晾晒衣物",
    "0104": "路面有大片油污和泥浆",
    "0105": "楼顶新搭了彩钢棚",
    "0201": "十几辆电动车堵在盲道上",
    "0202": "水果店把货架摆到门外三米",
    "0203": "流动摊贩在路口占道卖菜",
    "0204": "小汽车停在消防通道口",
    "0301": "新挂的广告牌没有审批，遮挡窗户",
    "0302": "电线杆上贴满小广告",
    "0401": "工地夜里十一点还在施工",
    "0402": "渣土车沿路撒漏",
    "0501": "垃圾桶冒烟起火",
    "0502": "下雨后路口积水没过脚踝",
    "0601": "楼上楼下因漏水发生争吵",
    "0602": "工人反映被拖欠工资两个月",
    "0701": "楼道里堆放杂物堵住消防通道",
    "0702": "居民从楼上拉电线给电动车充电",
    "0703": "早餐店后厨卫生条件差",
    "0801": "独自带孩子的母亲生活困难，希望得到帮助",
    "0802": "独居老人两天没有开门",
    "5101": "人行道井盖缺失，有人差点踩空",
    "5102": "一排路灯晚上都不亮",
    "5201": "路口护栏被撞歪",
    "5301": "垃圾箱盖子坏了",
    "5302": "公厕洗手池漏水",
    "5401": "绿化带里有大量烟头和塑料袋",
}
COMMENTS = ["处理很及时，谢谢网格员", "满意", "问题解决了", "态度很好", "还可以，希望以后更快些"]


def _point_in(grid_plan, rng: random.Random) -> tuple[float, float]:
    shape = grid_plan.boundary
    minx, miny, maxx, maxy = shape.bounds
    for _attempt in range(200):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shape.contains(Point(lon, lat)):
            return round(lon, 6), round(lat, 6)
    centre = shape.representative_point()
    return round(centre.x, 6), round(centre.y, 6)


def _picture(rng: random.Random, before: bool) -> bytes:
    """A small street-like JPEG: grey road, a kerb, and clutter before handling, none after."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (120 + rng.randint(-15, 15),) * 3)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 250, 480, 360), fill=(170, 165, 150))
    draw.rectangle((0, 0, 480, 90), fill=(150, 190, 225))
    if before:
        for _n in range(rng.randint(4, 9)):
            x, y = rng.randint(20, 420), rng.randint(150, 300)
            colour = (rng.randint(40, 230), rng.randint(40, 230), rng.randint(40, 230))
            draw.rectangle((x, y, x + rng.randint(20, 60), y + rng.randint(15, 45)), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def _photos(case, rng: random.Random) -> int:
    """A photo at report and one after handling (the leader verifies what they can see)."""
    photo_add(case=case, file=_picture(rng, before=True), kind=PhotoKind.REPORT)
    photo_add(case=case, file=_picture(rng, before=False), kind=PhotoKind.AFTER)
    return 2


def _phone(rng: random.Random) -> str:
    return rng.choice(["139", "138", "137", "158", "186", "131"]) + f"{rng.randrange(10**8):08d}"


class _People:
    """The staff who act on the demo cases, found once."""

    def __init__(self):
        User = get_user_model()
        users = list(User.objects.exclude(role="").select_related("scope"))
        self.leader_of: dict[int, object] = {}
        self.village_head: dict[int, object] = {}
        self.operator = None
        self.liaison = {}
        for user in users:
            if user.role == "micro_leader" and user.scope_id:
                # the demo login wins over the generated account of the same micro-grid
                if user.username == "micro_leader" or user.scope_id not in self.leader_of:
                    self.leader_of[user.scope_id] = user
            elif user.role == "village_head" and user.scope_id:
                self.village_head[user.scope_id] = user
            elif user.role == "centre_operator":
                self.operator = self.operator or user
            elif user.role == "department" and user.department_id:
                self.liaison[user.department_id] = user


def _act(case, action, actor, at, **kw):
    return workflow.case_transition(case=case, action=action, actor=actor, now=at, **kw).case


def _story(case, *, people: _People, rng: random.Random, at: dt.datetime, end: str, now):
    """Move ``case`` from where intake left it towards ``end``, minutes to hours apart."""

    def later(low, high):
        nonlocal at
        at = min(at + dt.timedelta(minutes=rng.randint(low, high)), now - dt.timedelta(minutes=1))
        return at

    leader = people.leader_of.get(case.grid_id) or people.operator
    if case.state == State.REPORTED:  # nobody on duty there: the centre registers it
        if people.operator is not None:
            case = _act(case, Action.REGISTER, people.operator, later(5, 40))
        return case  # and it waits in the centre's queue for someone to dispatch it to
    if end == "dispatched":
        return case
    member = case.assignee
    case = _act(case, Action.ACCEPT, member, later(5, 50))
    if end == "accepted":
        return case
    case = _act(case, Action.START, member, later(5, 60), lon=case.lon, lat=case.lat)
    if end == "handling":
        return case
    if end in {"escalated", "consulting", "referred", "closed_referred"}:
        case = _act(case, Action.ESCALATE, member, later(20, 120), note="需要微网格长协调")
        if end == "escalated":
            return case
        case = _act(
            case,
            Action.CONSULT,
            leader,
            later(30, 240),
            note="三支团队会商，商定处置方案",
            data={"participants": []},
        )
        if end == "consulting":
            return case
        department = case.category.department
        if department is None:
            end = "closed"
        else:
            case = _act(
                case,
                Action.REFER,
                leader,
                later(10, 60),
                department=department,
                data={"department": department.pk},
            )
            if end == "referred":
                return case
            liaison = people.liaison.get(department.pk)
            handler = liaison or leader
            case = _act(case, Action.HANDLE, handler, later(60, 600), note="部门已处置完毕")
    if case.state != State.HANDLED:
        case = _act(case, Action.HANDLE, member, later(30, 300), note="已处置，附处置后照片")
    if end == "handled":
        return case
    case = _act(case, Action.VERIFY, leader, later(20, 300), note="现场核查，处置到位")
    case = _act(case, Action.CLOSE, leader, later(1, 30))
    return case


def _end_for(age_days: float, rng: random.Random) -> str:
    """Where a case of this age has got to."""
    r = rng.random()
    if age_days > 10:
        if r < 0.05:
            return "rejected"
        if r < 0.08:
            return "parked"
        if r < 0.11:
            return "handling"  # long overdue
        if r < 0.20:
            return "closed_referred"
        return "closed"
    if age_days > 2:
        steps = ["closed"] * 5 + ["handled", "handling", "escalated", "consulting", "referred"]
        return rng.choice(steps)
    steps = ["dispatched", "dispatched", "accepted", "handling", "handled", "closed", "escalated"]
    return rng.choice(steps)


def _reported_at(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    """A moment in working hours (08:00–18:00, any day) between ``start`` and ``end``."""
    span = (end - start).total_seconds()
    moment = start + dt.timedelta(seconds=rng.uniform(0, span))
    local = timezone.localtime(moment)
    local = local.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59))
    return min(local, end)


def demo_populate(*, plan, loaded, seed: int, progress: bool) -> dict[str, int]:
    if not loaded.nodes:
        return {}
    rng = random.Random(seed * 7919 + 3)
    town = loaded.nodes[plan.town.code]
    category_link_departments(town=town)
    categories = list(Category.objects.filter(parent__isnull=False, enabled=True))
    people = _People()
    now = timezone.now()
    home = next(
        (
            g
            for g in plan.micro_grids
            if g.code
            in {u.scope.code for u in people.leader_of.values() if u.username == "micro_leader"}
        ),
        plan.micro_grids[0],
    )
    this_year = max(40, round(THIS_YEAR * plan.scale))
    last_year = max(10, round(LAST_YEAR * plan.scale))
    year_start = timezone.make_aware(dt.datetime(timezone.localtime(now).year, 1, 1))
    season_start = max(year_start, now - dt.timedelta(days=150))
    jobs = []
    for n in range(this_year):
        grid = home if rng.random() < HOME_SHARE or n < 12 else rng.choice(plan.micro_grids)
        # the home grid's first dozen are recent, so the member's page has work to do today
        start = now - dt.timedelta(days=3) if grid is home and n < 12 else season_start
        jobs.append((grid, _reported_at(rng, start, now - dt.timedelta(minutes=30)), True))
    for _n in range(last_year):
        start = year_start.replace(year=year_start.year - 1)
        end = start.replace(month=12, day=20)
        jobs.append((rng.choice(plan.micro_grids), _reported_at(rng, start, end), False))
    jobs.sort(key=lambda job: job[1])  # in time order, as they came in

    made = rated = photos = 0
    sources = [Source.PATROL] * 5 + [Source.RESIDENT] * 3 + [Source.CAMERA, Source.HOTLINE]
    bar = tqdm(total=len(jobs), desc="案件 cases", disable=not progress, unit="件")
    for grid, reported_at, current in jobs:
        category = rng.choice(categories)
        source = rng.choice(sources)
        lon, lat = _point_in(grid, rng)
        road, road2 = rng.sample(grid.roads, 2) if len(grid.roads) > 1 else ["中心路", "文化路"]
        resident = source in {Source.RESIDENT, Source.HOTLINE}
        age = (now - reported_at).total_seconds() / 86400
        end = _end_for(age, rng) if current else "closed"
        if end == "rejected":
            # A hotline call with no usable place: it waits in the centre's queue, which
            # turns it down as not a valid report.
            source, resident, lon, lat = Source.HOTLINE, True, None, None
        case, _created = case_report(
            source=source,
            category=category,
            description=WHAT.get(category.code, category.name),
            lon=lon,
            lat=lat,
            address=rng.choice(PLACES).format(road=road, road2=road2, n=rng.randint(1, 300)),
            reporter_name=rng.choice(["张", "王", "李", "陈", "周"]) + "先生" if resident else "",
            reporter_phone=_phone(rng) if resident else "",
            now=reported_at,
        )
        made += 1
        if end == "rejected":
            if case.state == State.REPORTED and people.operator is not None:
                _act(
                    case,
                    Action.REJECT,
                    people.operator,
                    reported_at + dt.timedelta(minutes=rng.randint(10, 90)),
                    note="来电未说明具体位置，回拨无人接听",
                    reject_reason=RejectReason.INVALID,
                    data={"reason": RejectReason.INVALID},
                )
            bar.update()
            continue
        case = _story(case, people=people, rng=rng, at=reported_at, end=end, now=now)
        if end == "parked" and case.state == State.HANDLING and people.operator is not None:
            _act(
                case,
                Action.PARK,
                people.operator,
                reported_at + dt.timedelta(days=2),
                note="涉及历史遗留问题，待专项整治",
                park_reason="涉及历史遗留问题",
            )
        if case.state in {State.HANDLED, State.CLOSED} and (grid is home or end == "handled"):
            photos += _photos(case, rng)
        if case.state == State.CLOSED and case.reporter_phone and rng.random() < 0.8:
            token = rating_token_issue(case=case)
            score = rng.choices([5, 4, 3, 2], weights=[70, 20, 7, 3])[0]
            rating_submit(
                token=token,
                score=score,
                fixed=Fixed.YES if score >= 3 else Fixed.UNKNOWN,
                comment=rng.choice(COMMENTS) if score >= 4 else "",
                now=min(case.closed_at + dt.timedelta(hours=rng.randint(1, 48)), now),
            )
            rated += 1
        bar.update()
    bar.close()
    return {"cases": made, "case ratings": rated, "case photos": photos}
