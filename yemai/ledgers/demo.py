"""Demo ledgers: a year (and the year before) of the work the source reports describe.

Activities of every type in every village, the volunteer teams of the 关工委, holiday schools,
the 环境卫生整治会战 with targets, progress and inspections, welfare households and relief,
petitions, safety inspections whose hazards become cases, good-samaritan deeds and the service
catalogue with requests. Bulk inserts (a few thousand rows): it adds about a second to the demo.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from yemai.core.crypto import lookup_hash
from yemai.core.validators import id_check_char

from . import models, services
from .choices import DEFAULT_ACTIVITY_TYPES, DeedState, RequestState, ServiceKind

# Activities a year at scale 1, and last year's.
THIS_YEAR = 900
LAST_YEAR = 760
TYPE_WEIGHTS = {
    "亲子阅读": 14, "普法讲座": 12, "警示影片": 6, "广场宣传": 8, "法律援助": 6, "网吧巡查": 10,
    "暑期假日学校": 8, "急救演练": 4, "关爱走访": 18, "主题党日": 14,
}  # fmt: skip
PARTICIPANTS = {"广场宣传": (80, 400), "网吧巡查": (3, 8), "法律援助": (1, 6), "关爱走访": (2, 12)}
TEAMS = [
    ("网吧巡逻监督队", "联合市场监管巡查网吧，劝离未成年人"),
    ("校外辅导帮扶队", "假日学校和困难青少年的课业辅导"),
    ("思想道德宣讲队", "社会主义核心价值观宣讲"),
    ("普法关爱帮教队", "普法讲座、法律援助与帮教"),
    ("科技创新协作队", "青少年科技实践活动"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
ITEMS = [
    ("巷路整修", "条", 4, 12),
    ("垃圾箱", "个", 10, 40),
    ("公厕", "所", 1, 3),
    ("边沟", "公里", 1, 6),
]
CATALOGUE = [
    (ServiceKind.RIGHTS, "法律咨询", 0), (ServiceKind.RIGHTS, "矛盾调解", 0),
    (ServiceKind.REPAIR, "水电维修", 0), (ServiceKind.REPAIR, "家电维修", 0),
    (ServiceKind.LIVING, "代购代办", 0), (ServiceKind.LIVING, "农技指导", 0),
    (ServiceKind.TOOL, "共享梯子", 2), (ServiceKind.TOOL, "共享轮椅", 1),
]  # fmt: skip


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _id_number(rng, n: int) -> str:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 60))
    body = f"330282{birth:%Y%m%d}{n % 1000:03d}"
    return body + id_check_char(body)


def _day(rng, year: int, until: dt.date) -> dt.date:
    start = dt.date(year, 1, 1)
    end = min(dt.date(year, 12, 31), until)
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


def demo_populate(*, plan, loaded, seed: int, progress: bool) -> dict[str, int]:
    if not loaded.nodes:
        return {}
    rng = random.Random(seed * 31 + 6)
    services.activity_type_ensure(names=DEFAULT_ACTIVITY_TYPES)
    types = {t.name: t for t in models.ActivityType.objects.all()}
    town = loaded.nodes[plan.town.code]
    villages = [loaded.nodes[v.code] for v in plan.villages]
    communities = [loaded.nodes[v.code] for v in plan.villages if v.village_kind == "community"]
    micro_by_village: dict[str, list] = {}
    for m in plan.micro_grids:
        micro_by_village.setdefault(m.parent, []).append(loaded.nodes[m.code])
    today = timezone.localdate()
    year = today.year
    counts: dict[str, int] = {}

    # Volunteer teams of the town, and their members (some 五老).
    teams = models.VolunteerTeam.objects.bulk_create(
        [
            models.VolunteerTeam(grid=town, name=n, focus=f, founded=dt.date(year - 3, 3, 5))
            for n, f in TEAMS
        ]
    )
    members = []
    for team in teams:
        for _ in range(rng.randint(8, 14)):
            members.append(models.VolunteerMember(
                team=team, grid=town, name=_name(rng), phone=f"139{rng.randrange(10**8):08d}",
                five_elders=rng.random() < 0.35, joined=dt.date(year - rng.randint(0, 3), 4, 1),
            ))  # fmt: skip
    models.VolunteerMember.objects.bulk_create(members)
    counts["volunteer teams"] = len(teams)

    # Activities, this year up to today and the whole of last year.
    names = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    activities = []
    for y, n in (
        (year, round(THIS_YEAR * plan.scale) or 60),
        (year - 1, round(LAST_YEAR * plan.scale) or 50),
    ):
        for _ in range(n):
            kind = rng.choices(names, weights)[0]
            village = rng.choice(villages)
            grid = rng.choice([town, village, *micro_by_village.get(village.code, [])[:2]])
            lo, hi = PARTICIPANTS.get(kind, (15, 60))
            people = rng.randint(lo, hi)
            square = kind == "广场宣传"
            activities.append(models.Activity(
                type=types[kind], title=f"{grid.name}{kind}", date=_day(rng, y, today), grid=grid,
                place=f"{village.name}党群服务点", participants=people,
                five_elders=rng.randint(1, min(4, people)) if kind in {"网吧巡查", "普法讲座", "关爱走访"} else 0,
                volunteer_team=teams[0] if kind == "网吧巡查" else (teams[3] if kind == "普法讲座" else None),
                brochures=rng.randint(100, 600) if square else 0, banners=rng.randint(2, 8) if square else 0,
                boards=rng.randint(2, 10) if square else 0,
            ))  # fmt: skip
    models.Activity.objects.bulk_create(activities, batch_size=1000)
    counts["activities"] = len(activities)

    # Holiday schools in most communities, both years.
    schools = []
    for y in (year, year - 1):
        for grid in communities:
            if rng.random() < 0.7:
                schools.append(models.HolidaySchool(
                    grid=grid, year=y, name=f"{grid.name}暑期假日学校", students=rng.randint(30, 90),
                    teachers_in_service=rng.randint(1, 4), teachers_five_elders=rng.randint(1, 4),
                    teachers_volunteers=rng.randint(2, 8), teachers_cadres=rng.randint(1, 3),
                    courses="暑期安全教育、课外知识、音乐美术、行为规范、社会实践",
                    star_applied=rng.choice((0, 2, 3, 3)), outstanding_volunteers=rng.randint(0, 3),
                ))  # fmt: skip
    models.HolidaySchool.objects.bulk_create(schools)

    # The campaign: targets per village, progress, two inspections each.
    start = dt.date(year, 3, 1) if today.month > 3 else dt.date(year - 1, 8, 21)
    campaign = models.Campaign.objects.create(
        grid=town, name="环境卫生整治会战", start=start, end=start + dt.timedelta(days=70),
        description="巷路整修、垃圾箱设置、公厕新建维修、边沟清理",
    )  # fmt: skip
    targets, progress_rows, inspections = [], [], []
    for village in villages:
        for item, unit, lo, hi in ITEMS:
            targets.append(models.CampaignTarget(
                campaign=campaign, grid=village, item=item, unit=unit, quantity=Decimal(rng.randint(lo, hi))
            ))  # fmt: skip
    models.CampaignTarget.objects.bulk_create(targets)
    for target in targets:
        share = rng.uniform(0.5, 1.1)
        for k in range(3):
            progress_rows.append(models.CampaignProgress(
                target=target, grid=target.grid, date=start + dt.timedelta(days=15 + 15 * k),
                quantity=(target.quantity * Decimal(str(round(share / 3, 3)))).quantize(
                    Decimal("0.1") if target.unit == "公里" else Decimal("1")
                ),
            ))  # fmt: skip
    models.CampaignProgress.objects.bulk_create(progress_rows, batch_size=1000)
    for village in villages:
        for k in (30, 65):
            score = Decimal(str(round(rng.uniform(70, 98), 1)))
            inspections.append(models.CampaignInspection(
                campaign=campaign, grid=village, date=start + dt.timedelta(days=k), score=score,
                findings="" if score > 85 else "部分边沟淤积未清理，垃圾箱周边有散落垃圾",
                rectification="" if score > 85 else "十日内完成边沟清淤，落实垃圾箱专人保洁",
            ))  # fmt: skip
    models.CampaignInspection.objects.bulk_create(inspections)

    # Welfare households, reviews and relief.
    households, relief, n = [], [], 0
    for village in villages:
        for _ in range(rng.randint(2, 6)):
            n += 1
            number = _id_number(rng, n)
            exited = rng.random() < 0.15
            households.append(models.WelfareHousehold(
                grid=rng.choice(micro_by_village.get(village.code, [village])),
                kind="tekun" if rng.random() < 0.2 else "dibao", head_name=_name(rng), id_number=number,
                id_number_hash=lookup_hash(number, purpose="id_number"), members=rng.randint(1, 4),
                monthly_amount=Decimal(rng.choice((780, 860, 1020, 1250))),
                entered_on=_day(rng, year - rng.randint(0, 3), today),
                state="exited" if exited else "active",
                exited_on=_day(rng, year, today) if exited else None,
                exit_reason="家庭收入超过保障标准" if exited else "",
            ))  # fmt: skip
        for y in (year, year - 1):
            for _ in range(rng.randint(1, 3)):
                n += 1
                relief.append(models.ReliefPayment(
                    grid=village, name=_name(rng), id_number=_id_number(rng, n), date=_day(rng, y, today),
                    amount=Decimal(rng.choice((500, 800, 1000, 1500, 2000, 3000))),
                    reason=rng.choice(("因病致困", "意外事故", "火灾受损", "子女就学困难")),
                ))  # fmt: skip
    models.WelfareHousehold.objects.bulk_create(households)
    models.ReliefPayment.objects.bulk_create(relief)
    models.WelfareReview.objects.bulk_create([
        models.WelfareReview(household=h, grid=h.grid, date=_day(rng, year, today),
                             outcome="exit" if h.state == "exited" else "keep", note="年度复核")
        for h in households
    ])  # fmt: skip

    # Petitions: most closed by 销号, a few key persons (restricted tag).
    petitions, seq = [], 0
    for y, n_p in ((year, 45), (year - 1, 38)):
        for _ in range(max(5, round(n_p * plan.scale))):
            seq += 1
            received = _day(rng, y, today)
            closed = rng.random() < 0.85 and received < today - dt.timedelta(days=20)
            petitions.append(models.Petition(
                grid=rng.choice(villages), number=f"XF{y}{seq:04d}", petitioner=_name(rng),
                received_on=received, subject=rng.choice(("征地拆迁补偿", "邻里宅基地纠纷", "物业服务质量",
                                                          "拖欠工资", "噪音扰民", "低保资格")),
                key_person=rng.random() < 0.08, state="closed" if closed else "handling",
                handling="已调查核实并答复信访人" if closed else "正在调查处理",
                closed_on=received + dt.timedelta(days=rng.randint(5, 20)) if closed else None,
                closure_number=f"XH{y}{seq:04d}" if closed else "",
            ))  # fmt: skip
    models.Petition.objects.bulk_create(petitions)

    # Safety inspections; a hazard in some, each a case through the closed loop.
    places = ("农贸市场", "出租房", "小作坊", "沿街店铺", "网吧", "养老院", "学校周边")
    made_hazards = 0
    for y in (year, year - 1):
        for _ in range(max(6, round(40 * plan.scale))):
            village = rng.choice(villages)
            grid = rng.choice(micro_by_village.get(village.code, [village]))
            day = _day(rng, y, today)
            inspection = models.SafetyInspection.objects.create(
                grid=grid,
                place=f"{village.name}{rng.choice(places)}",
                date=day,
                inspectors="安监站、网格员",
            )
            if y == year and rng.random() < 0.35 and made_hazards < 25:
                hazard = models.Hazard(
                    inspection=inspection, grid=grid, deadline=day + dt.timedelta(days=7),
                    description=rng.choice(("消防通道堆放杂物", "电动车楼道内充电", "灭火器过期", "电线私拉乱接")),
                    rectified_on=day + dt.timedelta(days=rng.randint(2, 9)) if day < today - dt.timedelta(days=10) else None,
                )  # fmt: skip
                services.ledger_obj_save(kind="hazards", user=None, obj=hazard, created=True)
                made_hazards += 1
    counts["hazards"] = made_hazards

    # Good-samaritan deeds at every step.
    deeds = []
    steps = [
        DeedState.COMMENDED,
        DeedState.COMMENDED,
        DeedState.CONFIRMED,
        DeedState.INVESTIGATING,
        DeedState.REGISTERED,
    ]
    for y in (year, year - 1):
        for state in steps[: 5 if y == year else 3]:
            day = _day(rng, y, today)
            decided = state in (DeedState.CONFIRMED, DeedState.COMMENDED)
            deeds.append(models.GoodDeed(
                grid=rng.choice(villages), person=_name(rng), deed_on=day,
                description=rng.choice(("勇救落水儿童", "协助民警抓获盗窃嫌疑人", "火场救出被困老人")),
                state=state, investigation="经走访目击群众核实" if decided else "",
                decision_number=f"见确〔{y}〕{len(deeds) + 1}号" if decided else "",
                decided_on=day + dt.timedelta(days=20) if decided else None,
                commendation="街道通报表彰" if state == DeedState.COMMENDED else "",
                award=Decimal(rng.choice((2000, 5000, 10000))) if state == DeedState.COMMENDED else None,
            ))  # fmt: skip
    models.GoodDeed.objects.bulk_create(deeds)

    # Service catalogue at each village, and residents' requests.
    items = models.ServiceItem.objects.bulk_create([
        models.ServiceItem(grid=v, kind=k, name=name, stock=stock) for v in villages for k, name, stock in CATALOGUE
    ])  # fmt: skip
    requests = []
    for y in (year, year - 1):
        for _ in range(round(260 * plan.scale) or 20):
            item = rng.choice(items)
            day = _day(rng, y, today)
            tool = item.kind == ServiceKind.TOOL
            done = day < today - dt.timedelta(days=7)
            requests.append(models.ServiceRequest(
                item=item, grid=item.grid, resident_name=_name(rng), requested_on=day,
                state=(RequestState.RETURNED if tool else RequestState.DONE) if done else RequestState.OPEN,
                done_on=day + dt.timedelta(days=2) if done and not tool else None,
                return_due=day + dt.timedelta(days=7) if tool else None,
                returned_on=day + dt.timedelta(days=5) if done and tool else None,
            ))  # fmt: skip
    models.ServiceRequest.objects.bulk_create(requests, batch_size=1000)
    counts["service requests"] = len(requests)
    counts["petitions"] = len(petitions)
    return counts
