"""Benchmark: the cost of encrypting patrol tracks (巡查轨迹) at rest.

    .venv/bin/python bench/duty_tracks.py [--points 1000] [--existing 9000] [--repeat 5]
        [--database sqlite:///tmp/x.sqlite3 | postgres://postgres@127.0.0.1:5432/yemai_bench_duty]

A fresh database (an SQLite file in a temporary folder by default; a PostgreSQL URL is dropped
and created again), one micro-grid and one member. For each storage it times, best of
``--repeat`` runs, on a fresh patrol each run:

* store: ``services.patrol_points_add`` with a batch of ``--points`` fixes (checked, stored,
  the track's length measured);
* resend: the same batch again (adds nothing: the phone's retry);
* read: the track as ``GET /api/duty/patrols/{id}`` builds it (every point decrypted);
* append: one more batch, after the last fix, on a patrol already holding ``--existing``
  points (the length grows from the last counted fix: only that one is decrypted).

Two storages in the same process: ``encrypted`` (the model as it ships: one
``EncryptedTextField`` per point) and ``plain``: the same column with the encryption switched
off on the field, i.e. what the same code costs without AES-GCM. On a tree from before the
encryption (clear ``lon``/``lat`` columns) only that layout is timed. No target: the figures
go in the report.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--existing", type=int, default=9000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="")
    return parser.parse_args()


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()  # tests.settings: the test keys
    from bench._server import prepare_database

    prepare_database(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def member():
    from shapely.geometry import box

    from tests.factories import make_user
    from yemai.accounts.roles import Role
    from yemai.grids.choices import Level, VillageKind
    from yemai.grids.services import grid_node_create

    town = grid_node_create(
        code="330282001",
        name="宗汉街道",
        level=Level.TOWN,
        boundary=box(121.20, 30.20, 121.24, 30.24),
    )
    village = grid_node_create(
        code="330282001001",
        name="东门社区",
        level=Level.VILLAGE,
        parent=town,
        village_kind=VillageKind.COMMUNITY,
        boundary=box(121.20, 30.20, 121.22, 30.24),
    )
    micro = grid_node_create(
        code="330282001001001",
        name="东门社区第1微网格",
        level=Level.MICRO,
        parent=village,
        boundary=box(121.20, 30.20, 121.22, 30.22),
    )
    return make_user("bench_member", Role.MEMBER, micro)


def batch(n: int, start: dt.datetime, offset: int = 0):
    from yemai.duty.services import PointIn

    return [
        PointIn(
            lon=121.21 + (i % 7) * 1e-5,
            lat=30.20 + i * 9e-6,
            accuracy=5.0 + i % 10,
            recorded_at=start + dt.timedelta(seconds=i),
        )
        for i in range(offset, offset + n)
    ]


@contextlib.contextmanager
def storage(kind: str):
    """``plain``: the position column keeps its layout but is not encrypted."""
    from yemai.duty.models import TrackPoint

    names = {f.name for f in TrackPoint._meta.concrete_fields}
    if kind != "plain" or "position" not in names:
        yield
        return
    field = TrackPoint._meta.get_field("position")
    field.get_prep_value = lambda value: value
    field.from_db_value = lambda value, expression, connection: value
    try:
        yield
    finally:
        del field.get_prep_value, field.from_db_value


def run_once(user, args) -> dict[str, float]:
    from django.utils import timezone

    from yemai.duty import selectors, services

    now = timezone.now()
    began = now - dt.timedelta(hours=23)
    patrol, _created = services.patrol_start(user=user, started_at=began, now=now)
    points = batch(args.points, began)
    times = {}
    t0 = time.perf_counter()
    services.patrol_points_add(user=user, patrol_id=patrol.pk, points=points, now=now)
    times["store"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _patrol, added = services.patrol_points_add(
        user=user, patrol_id=patrol.pk, points=points, now=now
    )
    times["resend"] = time.perf_counter() - t0
    assert added.added == 0, "a batch sent twice added points"
    t0 = time.perf_counter()
    track = [
        {"lon": p.lon, "lat": p.lat, "accuracy": p.accuracy_m, "recorded_at": p.recorded_at}
        for p in selectors.track_points(patrol=patrol)
    ]
    times["read"] = time.perf_counter() - t0
    assert len(track) == args.points and track[1]["lat"] == points[1].lat
    # Grow the patrol to --existing points, then time one more batch.
    held = args.points
    while held < args.existing:
        n = min(1000, args.existing - held)
        services.patrol_points_add(
            user=user, patrol_id=patrol.pk, points=batch(n, began, held), now=now
        )
        held += n
    t0 = time.perf_counter()
    services.patrol_points_add(
        user=user, patrol_id=patrol.pk, points=batch(args.points, began, held), now=now
    )
    times["append"] = time.perf_counter() - t0
    services.patrol_end(user=user, patrol_id=patrol.pk, now=now)
    return times


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{folder}/bench.sqlite3"
        setup(url)
        from yemai.duty.models import TrackPoint

        user = member()
        encrypted = "position" in {f.name for f in TrackPoint._meta.concrete_fields}
        kinds = ["plain", "encrypted"] if encrypted else ["clear lon/lat columns"]
        best: dict[str, dict[str, float]] = {}
        for _round in range(args.repeat):
            for kind in kinds:  # interleaved: a busy moment of the machine hits both
                with storage(kind):
                    for name, seconds in run_once(user, args).items():
                        row = best.setdefault(kind, {})
                        row[name] = min(row.get(name, seconds), seconds)
        engine = url.split(":", 1)[0]
        print(
            f"{args.points} points a batch, append onto {args.existing} points, {engine}, "
            f"best of {args.repeat} (ms)"
        )
        print(f"{'storage':<24}{'store':>10}{'resend':>10}{'read':>10}{'append':>10}")
        for kind, row in best.items():
            print(
                f"{kind:<24}"
                + "".join(f"{row[k] * 1000:>10.1f}" for k in ("store", "resend", "read", "append"))
            )
        if encrypted:
            ratio = {k: best["encrypted"][k] / best["plain"][k] for k in best["plain"]}
            print(f"{'encrypted / plain':<24}" + "".join(f"{ratio[k]:>9.2f}×" for k in ratio))
    return 0


if __name__ == "__main__":
    sys.exit(main())
