"""Benchmark: the annual work report of a town over a generated year, on PostgreSQL.

    .venv/bin/python bench/report.py [--cases 1000000] [--activities 50000] [--fresh]
        [--repeat 2] [--database postgres://postgres@127.0.0.1:5432/yemai_bench_report]

Builds (once; ``--fresh`` rebuilds) the town of ``bench/metrics.py`` (45 villages, 172
micro-grids) with its generator (imported, not copied): ``--cases`` cases spread over 2025,
and — by ``INSERT … SELECT … FROM generate_series`` — ``--activities`` activities of every
type in 2025 and 80 % as many in 2024 (last year's, for the comparisons), plus the other ledgers in
proportion (welfare households, relief, petitions, inspections, deeds, service requests, a
campaign). Then, as the town head, it times in the same run:

* ``case_metrics`` grouped by village alone (the closed loop's query the report builds on: its
  time is most of the report's on a million cases);
* the report's aggregate queries alone (``collect``: this year, last year, per village);
* the whole report: the same queries plus writing the .docx (charts included) and the
  companion workbook (``render_work``).

Target (issue 6): the whole report in under 30 s. Exits 1 when it is over.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import metrics as case_bench  # noqa: E402 — bench/metrics.py: the town and the cases

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/yemai_bench_report"
TARGET_S = 30.0

ACTIVITIES = """
WITH params AS (
    SELECT %(grids)s::bigint[] AS grids, %(types)s::bigint[] AS types
), raw AS (
    SELECT g, random() AS r_grid, random() AS r_type, random() AS r_day, random() AS r_n,
           1 AS one
    FROM generate_series(1, %(n)s) AS g
)
INSERT INTO ledgers_activity (type_id, title, date, place, grid_id, team_id, volunteer_team_id,
    participants, five_elders, named_participants, brochures, banners, boards, note)
SELECT types[1 + floor(r_type * cardinality(types))::int], '基准活动' || g,
       %(first)s::date + floor(r_day * 365)::int,
       '', grids[1 + floor(r_grid * cardinality(grids))::int], NULL, NULL,
       5 + floor(r_n * 80)::int, floor(r_n * 4)::int, '',
       CASE WHEN r_type > 0.7 THEN floor(r_n * 300)::int ELSE 0 END,
       CASE WHEN r_type > 0.7 THEN floor(r_n * 6)::int ELSE 0 END,
       CASE WHEN r_type > 0.7 THEN floor(r_n * 8)::int ELSE 0 END, ''
FROM raw, params
"""


def generate_ledgers(town, n: int) -> None:
    """Activities by SQL; the other ledgers (a few thousand rows) by bulk_create."""
    import datetime as dt
    import random
    from decimal import Decimal

    from django.db import connection

    from yemai.core.crypto import lookup_hash
    from yemai.core.validators import id_check_char
    from yemai.grids.models import GridNode
    from yemai.ledgers import models

    for model in (models.Activity, models.WelfareReview, models.WelfareHousehold, models.ReliefPayment,
                  models.Petition, models.Hazard, models.SafetyInspection, models.GoodDeed,
                  models.ServiceRequest, models.ServiceItem, models.CampaignInspection,
                  models.CampaignProgress, models.CampaignTarget, models.Campaign,
                  models.VolunteerMember, models.VolunteerTeam):  # fmt: skip
        model.objects.all().delete()
    nodes = list(GridNode.objects.filter(path__startswith=town.path).order_by("code"))
    villages = [g for g in nodes if g.level == "village"]
    params = {
        "grids": [g.pk for g in nodes],
        "types": list(models.ActivityType.objects.values_list("pk", flat=True)),
        "n": n,
    }
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.6)")
        cursor.execute(ACTIVITIES, {**params, "first": dt.date(2025, 1, 1)})
        made = cursor.rowcount
        cursor.execute(ACTIVITIES, {**params, "first": dt.date(2024, 1, 1), "n": int(n * 0.8)})
        print(f"  {made:,} activities in 2025 and {cursor.rowcount:,} in 2024 generated in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    rng = random.Random(6)
    scale = n / 50_000

    def number(k):
        body = f"330282198{rng.randrange(10):01d}0101{k % 1000:03d}"
        return body + id_check_char(body)

    households = []
    for k in range(int(2000 * scale)):
        v = rng.choice(villages)
        idn = number(k)
        households.append(models.WelfareHousehold(
            grid=v, kind=rng.choice(("dibao", "dibao", "tekun")), head_name="户主", id_number=idn,
            id_number_hash=lookup_hash(idn, purpose="id_number"), members=2, monthly_amount=Decimal(800),
            entered_on=dt.date(2023 + rng.randrange(3), 1 + rng.randrange(12), 1),
        ))  # fmt: skip
    models.WelfareHousehold.objects.bulk_create(households, batch_size=2000)
    day = lambda y: dt.date(y, 1, 1) + dt.timedelta(days=rng.randrange(365))  # noqa: E731
    models.ReliefPayment.objects.bulk_create([
        models.ReliefPayment(grid=rng.choice(villages), name="甲", id_number=number(k), date=day(rng.choice((2024, 2025))),
                             amount=Decimal(1000), reason="因病")
        for k in range(int(1500 * scale))
    ], batch_size=2000)  # fmt: skip
    models.Petition.objects.bulk_create([
        models.Petition(grid=rng.choice(villages), number=f"BXF{k}", petitioner="乙", received_on=day(2025),
                        subject="事项", state="closed", closed_on=dt.date(2025, 12, 30), closure_number=f"BXH{k}")
        for k in range(int(1000 * scale))
    ], batch_size=2000)  # fmt: skip
    inspections = models.SafetyInspection.objects.bulk_create([
        models.SafetyInspection(grid=rng.choice(villages), place="场所", date=day(2025))
        for _k in range(int(2000 * scale))
    ], batch_size=2000)  # fmt: skip
    models.Hazard.objects.bulk_create([
        models.Hazard(inspection=i, grid=i.grid, description="隐患", deadline=i.date, case_number="B1")
        for i in inspections[::3]
    ], batch_size=2000)  # fmt: skip
    models.GoodDeed.objects.bulk_create([
        models.GoodDeed(grid=rng.choice(villages), person="丙", deed_on=day(2025), description="事迹",
                        state="commended", decided_on=day(2025), decision_number="1", commendation="表彰",
                        award=Decimal(5000))
        for _k in range(int(100 * scale))
    ])  # fmt: skip
    items = models.ServiceItem.objects.bulk_create([
        models.ServiceItem(grid=v, kind=k, name=f"{k}{v.pk}", stock=2)
        for v in villages for k in ("rights", "repair", "living", "tool")
    ])  # fmt: skip
    models.ServiceRequest.objects.bulk_create([
        models.ServiceRequest(item=(it := rng.choice(items)), grid=it.grid, resident_name="丁",
                              requested_on=day(rng.choice((2024, 2025))), state="done")
        for _k in range(int(5000 * scale))
    ], batch_size=2000)  # fmt: skip
    team = models.VolunteerTeam.objects.create(grid=town, name="网吧巡逻监督队")
    models.VolunteerMember.objects.bulk_create(
        [
            models.VolunteerMember(team=team, grid=town, name=f"志愿者{k}", five_elders=k % 3 == 0)
            for k in range(60)
        ]
    )
    campaign = models.Campaign.objects.create(
        grid=town, name="环境卫生整治会战", start=dt.date(2025, 8, 21), end=dt.date(2025, 10, 31)
    )
    targets = models.CampaignTarget.objects.bulk_create([
        models.CampaignTarget(campaign=campaign, grid=v, item=item, unit=unit, quantity=Decimal(10))
        for v in villages for item, unit in (("巷路整修", "条"), ("垃圾箱", "个"), ("边沟", "公里"))
    ])  # fmt: skip
    models.CampaignProgress.objects.bulk_create([
        models.CampaignProgress(target=t, grid=t.grid, date=dt.date(2025, 9, 1), quantity=Decimal(rng.randint(4, 10)))
        for t in targets
    ])  # fmt: skip
    models.CampaignInspection.objects.bulk_create([
        models.CampaignInspection(campaign=campaign, grid=v, date=dt.date(2025, 9, 30),
                                  score=Decimal(str(round(rng.uniform(70, 98), 1))))
        for v in villages
    ])  # fmt: skip
    with connection.cursor() as cursor:
        for table in ("ledgers_activity", "ledgers_welfarehousehold", "ledgers_petition"):
            cursor.execute(f"ANALYZE {table}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="generate the year again")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--out", default="", help="keep the last report here (.docx)")
    args = parser.parse_args()
    case_bench.setup_django(args.database)
    from django.db import connection

    from yemai.accounts.models import User
    from yemai.cases.models import Case
    from yemai.ledgers.models import Activity
    from yemai.reports.figures import collect, year_period
    from yemai.reports.services import render_work

    print(f"PostgreSQL {connection.cursor().connection.info.server_version}, {args.database}")
    town = case_bench.build_town()
    have = Case.objects.filter(number__startswith="B").count()
    if args.fresh or have != args.cases:
        print(f"generating {args.cases:,} cases (had {have:,}) …")
        case_bench.generate(town, args.cases)
    if args.fresh or Activity.objects.filter(date__year=2025).count() != args.activities:
        print(f"generating {args.activities:,} activities and the other ledgers …")
        generate_ledgers(town, args.activities)
    head = User.objects.select_related("scope").get(username="bench_head")
    period = year_period(2025)
    from yemai.cases.metrics import case_metrics

    queries = whole = loop = float("inf")
    docx = b""
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        case_metrics(user=head, group_by="grid", start=period.start, end=period.end, node=town)
        loop = min(loop, time.perf_counter() - t0)
        t0 = time.perf_counter()
        collect(user=head, node=town, period=period)
        queries = min(queries, time.perf_counter() - t0)
        t0 = time.perf_counter()
        docx, _xlsx, timing = render_work(user=head, node=town, period=period)
        whole = min(whole, time.perf_counter() - t0)
    if args.out:
        Path(args.out).write_bytes(docx)
    print(f"annual report of {town.name}, 2025, {Case.objects.filter(number__startswith='B').count():,} cases, "
          f"{Activity.objects.filter(date__year=2025).count():,} activities this year, best of {args.repeat}:")  # fmt: skip
    print(f"  case_metrics by grid     {loop:7.2f} s   (the cases' own query the report builds on)")
    print(
        f"  aggregate queries alone  {queries:7.2f} s   ({queries / loop:.2f} × case_metrics by grid)"
    )
    print(f"  whole report (.docx+xlsx) {whole:6.2f} s   ({timing['figures']} figures; writing "
          f"{whole - queries:.2f} s beyond the queries)")  # fmt: skip
    verdict = "OK" if whole < TARGET_S else f"MISSED by {whole - TARGET_S:.1f} s"
    print(f"  target < {TARGET_S:.0f} s: {verdict}")
    return 0 if whole < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
