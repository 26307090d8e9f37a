"""Benchmark: the pages' busiest data endpoints under load, beside a static file (baseline).

    .venv/bin/python bench/pages_load.py [--cases 10000] [--users 20] [--seconds 30]
        [--db sqlite|postgres] [--postgres postgres://postgres@127.0.0.1:5432/yemai_bench_pages]

A fresh database with a town of 10 villages × 16 micro-grids (a member on duty in each) and
``--cases`` open cases spread over it (written in bulk: the intake has its own benchmark), then
``yemai serve`` (waitress, the embedded tier as it ships) on a free loopback port. ``--users``
signed-in users work at once for ``--seconds`` seconds, each on its own keep-alive session:

* half are centre operators panning the command-centre map: ``/centre/cases.json`` with a
  random box and zoom over the whole town (server-side clusters; markers when few), each
  followed by the static ``/static/web/app.css``;
* half are grid members refreshing their phone app's lists: ``/api/cases/mine``, each
  followed by the same static file.

Printed: for each endpoint the number of requests, the median and the 95th percentile time in
milliseconds, and the ratio of the p95 to the static file's p95 in the same run. Loopback
only; every loop is bounded by time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._server import free_port, prepare_database, start_server  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/yemai_bench_pages"
PASSWORD = "Bench-pages-2026"
WEST, SOUTH, STEP = 121.20, 30.20, 0.005
VILLAGES, SIDE = 10, 4  # 10 villages of 4 × 4 micro-grids: 160, about the source town's 172
EAST, NORTH = WEST + VILLAGES * SIDE * STEP, SOUTH + SIDE * STEP


def build_town(n_cases: int) -> dict[str, list[str]]:
    """The town, its people, and ``n_cases`` open cases; returns usernames by kind."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from shapely.geometry import box
    from tqdm import tqdm

    from yemai.accounts.models import User
    from yemai.accounts.roles import Role
    from yemai.cases.choices import Clock, Source, State
    from yemai.cases.models import Case, Category
    from yemai.cases.services import category_link_departments
    from yemai.grids.choices import Level, TeamKind
    from yemai.grids.models import Team, TeamMember
    from yemai.grids.services import grid_node_create

    password = make_password(PASSWORD)
    town = grid_node_create(
        code="330282001", name="基准街道", level=Level.TOWN,
        boundary=box(WEST, SOUTH, WEST + VILLAGES * SIDE * STEP, SOUTH + SIDE * STEP),
    )  # fmt: skip
    micros = []
    for v in tqdm(range(VILLAGES), desc="villages", unit="village"):
        vx = WEST + v * SIDE * STEP
        village = grid_node_create(
            code=f"330282001{v + 1:03d}", name=f"第{v + 1}社区", level=Level.VILLAGE,
            parent=town, boundary=box(vx, SOUTH, vx + SIDE * STEP, SOUTH + SIDE * STEP),
        )  # fmt: skip
        for m in range(SIDE * SIDE):
            mx, my = vx + (m % SIDE) * STEP, SOUTH + (m // SIDE) * STEP
            micro = grid_node_create(
                code=f"330282001{v + 1:03d}{m + 1:03d}", name=f"第{v + 1}社区第{m + 1}微网格",
                level=Level.MICRO, parent=village, boundary=box(mx, my, mx + STEP, my + STEP),
            )  # fmt: skip
            member = User.objects.create(
                username=f"member_{v}_{m}", password=password, role=Role.MEMBER, scope=micro
            )
            for kind in TeamKind.values:
                team = Team.objects.create(grid=micro, kind=kind)
                if kind == TeamKind.WORK:
                    TeamMember.objects.create(team=team, user=member, name=f"网格员{v}{m}")
            micros.append((micro, member, (mx, my)))
    category_link_departments(town=town)
    operators = [
        User.objects.create(
            username=f"operator_{i}", password=password, role=Role.CENTRE_OPERATOR, scope=town
        ).username
        for i in range(10)
    ]
    leaves = list(Category.objects.filter(parent__isnull=False, enabled=True)[:20])
    rng = random.Random(1)
    now = timezone.now()
    batch = []
    for i in tqdm(range(n_cases), desc="open cases", unit="case"):
        micro, member, (mx, my) = micros[i % len(micros)]
        reported = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 20))
        due = reported + dt.timedelta(hours=rng.choice([4, 8, 24, 72]))
        batch.append(
            Case(
                number=f"B{i:010d}",
                tracking_code=f"T{i:09d}",
                source=Source.PATROL,
                category=rng.choice(leaves),
                description="基准案卷",
                grid=micro,
                lon=mx + rng.random() * STEP,
                lat=my + rng.random() * STEP,
                state=rng.choice([State.DISPATCHED, State.ACCEPTED, State.HANDLING]),
                assignee=member,
                clock=Clock.HANDLE,
                clock_started_at=reported,
                warn_at=reported + (due - reported) * 0.8,
                due_at=due,
                limit_minutes=480,
                reported_at=reported,
                registered_at=reported,
                dispatched_at=reported,
            )  # fmt: skip
        )
        if len(batch) == 1000:
            Case.objects.bulk_create(batch)
            batch = []
    if batch:
        Case.objects.bulk_create(batch)
    return {"operators": operators, "members": [m.username for _g, m, _p in micros]}


def sign_in(base: str, username: str):
    import requests

    session = requests.Session()
    session.get(f"{base}/login/", timeout=30)
    answer = session.post(
        f"{base}/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        },
        headers={"Referer": f"{base}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{username} could not sign in ({answer.status_code})")
    return session


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def run(args) -> int:
    tmp = tempfile.mkdtemp(prefix="yemai-pages-")
    url = f"sqlite:///{tmp}/yemai.sqlite3" if args.db == "sqlite" else args.postgres
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "YEMAI_DEMO": "1",  # demo keys: a throwaway database on loopback
        "YEMAI_DATA_DIR": tmp,
        "YEMAI_SECURE_COOKIES": "0",
        "YEMAI_MAP_TILES": "none",
        "DJANGO_SETTINGS_MODULE": "yemai.settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    prepare_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    users = build_town(args.cases)
    connection.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115
    server = start_server(env, port, log)
    times: dict[str, list[float]] = {"map": [], "mine": [], "static": []}
    failures: dict[str, int] = {}
    lock = threading.Lock()
    try:
        half = args.users // 2
        sessions = [("map", sign_in(base, users["operators"][i % 10])) for i in range(half)]
        sessions += [
            ("mine", sign_in(base, users["members"][i * 7 % len(users["members"])]))
            for i in range(args.users - half)
        ]
        deadline = time.monotonic() + args.seconds

        def timed(session, label, path):
            started = time.perf_counter()
            try:
                answer = session.get(base + path, timeout=60)
                answer.content  # noqa: B018  (read the whole body)
                status = answer.status_code
            except OSError as exc:  # requests' errors are OSErrors: a timeout, a reset
                status = type(exc).__name__
            took = (time.perf_counter() - started) * 1000
            with lock:
                if status == 200:
                    times[label].append(took)
                else:
                    key = f"{label} {status}"
                    failures[key] = failures.get(key, 0) + 1

        def worker(kind, session, seed):
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                if kind == "map":
                    zoom = rng.choice([12, 13, 14, 15, 16, 17])
                    span = 360 / 2**zoom * 4  # a screen of about 1000 px
                    lon = rng.uniform(WEST, EAST)
                    lat = rng.uniform(SOUTH, NORTH)
                    bbox = f"{lon - span / 2:.5f},{lat - span / 4:.5f},{lon + span / 2:.5f},{lat + span / 4:.5f}"
                    timed(session, "map", f"/centre/cases.json?zoom={zoom}&bbox={bbox}&state=open")
                else:
                    timed(session, "mine", "/api/cases/mine")
                timed(session, "static", "/static/web/app.css")

        print(
            f"{args.db}: {args.cases} open cases, {args.users} users "
            f"({half} on the map, {args.users - half} in the phone app), {args.seconds} s"
        )
        threads = [
            threading.Thread(target=worker, args=(kind, session, i))
            for i, (kind, session) in enumerate(sessions)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    base_p95 = percentile(times["static"], 0.95)
    labels = {
        "static": "static file /static/web/app.css (baseline)",
        "map": "map data /centre/cases.json",
        "mine": "member's list /api/cases/mine",
    }
    print(f"  {'endpoint':<44} {'requests':>8} {'median ms':>10} {'p95 ms':>8} {'p95/static':>11}")
    for key in ("static", "map", "mine"):
        values = times[key]
        p95 = percentile(values, 0.95)
        median = statistics.median(values) if values else float("nan")
        print(
            f"  {labels[key]:<44} {len(values):>8} {median:>10.1f} {p95:>8.1f} "
            f"{p95 / base_p95 if base_p95 else float('nan'):>10.1f}x"
        )
    if failures:
        print(f"  failed requests: {failures}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres", default=DEFAULT_PG)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
