"""Ledger rows for tests: a known year of work in the shared town (tests/factories.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.factories import make_id_number
from yemai.ledgers import models, services

YEAR = 2026


def activity(grid, type_name: str, day: dt.date, participants: int, **extra) -> models.Activity:
    return models.Activity.objects.create(
        type=models.ActivityType.objects.get(name=type_name),
        title=f"{type_name}{day:%m%d}",
        date=day,
        grid=grid,
        participants=participants,
        **extra,
    )


def year_of_work(t) -> None:
    """This year: 3 普法讲座 (2 in 东门, 1 in 西门), 2 网吧巡查 with 五老, a 广场宣传 with
    materials; last year 2 普法讲座. Teams, a holiday school, welfare, petitions, a safety
    inspection with a hazard, a deed, a campaign with two villages inspected."""
    d = dt.date
    activity(t.dongmen1, "普法讲座", d(YEAR, 3, 5), 40)
    activity(t.dongmen2, "普法讲座", d(YEAR, 6, 1), 35)
    activity(t.ximen1, "普法讲座", d(YEAR, 9, 9), 25)
    activity(t.dongmen, "网吧巡查", d(YEAR, 4, 2), 6, five_elders=3)
    activity(t.ximen, "网吧巡查", d(YEAR, 7, 2), 5, five_elders=2)
    activity(t.town, "广场宣传", d(YEAR, 5, 20), 300, brochures=1200, banners=15, boards=20)
    activity(t.dongmen1, "普法讲座", d(YEAR - 1, 3, 5), 30)
    activity(t.ximen1, "普法讲座", d(YEAR - 1, 10, 5), 20)
    team = models.VolunteerTeam.objects.create(grid=t.town, name="网吧巡逻监督队")
    models.VolunteerTeam.objects.create(grid=t.town, name="普法关爱帮教队")
    for i, elder in enumerate([True, True, False]):
        models.VolunteerMember.objects.create(
            team=team, grid=t.town, name=f"志愿者{i}", five_elders=elder
        )
    models.HolidaySchool.objects.create(
        grid=t.dongmen, year=YEAR, name="东门社区假日学校", students=60, teachers_in_service=3,
        teachers_five_elders=2, teachers_volunteers=4, teachers_cadres=1, star_applied=3,
        outstanding_volunteers=2,
    )  # fmt: skip
    for n, kind in enumerate(["dibao", "dibao", "tekun"]):
        models.WelfareHousehold.objects.create(
            grid=t.dongmen1, kind=kind, head_name=f"户主{n}", id_number=make_id_number(500 + n),
            members=2, monthly_amount=Decimal("800"), entered_on=d(YEAR - 1, 6, 1),
        )  # fmt: skip
    models.ReliefPayment.objects.create(
        grid=t.ximen1, name="救助甲", id_number=make_id_number(601), date=d(YEAR, 2, 1),
        amount=Decimal("1500.00"), reason="因病",
    )  # fmt: skip
    models.Petition.objects.create(
        grid=t.dongmen1, number="XF2026001", petitioner="信访人甲", received_on=d(YEAR, 4, 1),
        subject="噪音扰民", state="closed", closed_on=d(YEAR, 4, 20), closure_number="XH001",
    )  # fmt: skip
    models.Petition.objects.create(
        grid=t.dongmen1, number="XF2026002", petitioner="重点人员乙", received_on=d(YEAR, 5, 1),
        subject="征地补偿", key_person=True,
    )  # fmt: skip
    inspection = models.SafetyInspection.objects.create(
        grid=t.dongmen1, place="东门菜场", date=d(YEAR, 8, 1)
    )
    services.ledger_row_create(
        kind="hazards", user=None,
        data={"inspection": str(inspection.pk), "description": "消防通道堆放杂物", "deadline": f"{YEAR}-08-08"},
    )  # fmt: skip
    models.GoodDeed.objects.create(
        grid=t.ximen1, person="勇士丙", deed_on=d(YEAR, 6, 6), description="勇救落水儿童",
        state="commended", decision_number="见确〔2026〕1号", decided_on=d(YEAR, 7, 1),
        commendation="街道表彰", award=Decimal("5000"),
    )  # fmt: skip
    campaign = models.Campaign.objects.create(
        grid=t.town, name="环境卫生整治会战", start=d(YEAR, 8, 21), end=d(YEAR, 10, 31)
    )
    for village, score, done in ((t.dongmen, "92.5", 10), (t.ximen, "78.0", 4)):
        target = models.CampaignTarget.objects.create(
            campaign=campaign, grid=village, item="巷路整修", unit="条", quantity=Decimal(10)
        )
        models.CampaignProgress.objects.create(
            target=target, grid=village, date=d(YEAR, 9, 1), quantity=done
        )
        models.CampaignInspection.objects.create(
            campaign=campaign, grid=village, date=d(YEAR, 9, 30), score=Decimal(score),
            findings="边沟未清" if village == t.ximen else "", rectification="十日内清理边沟" if village == t.ximen else "",
        )  # fmt: skip
    t.campaign = campaign
