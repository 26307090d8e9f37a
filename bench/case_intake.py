"""Benchmark: case intake through the HTTP API, in cases per second, on SQLite and PostgreSQL.

    .venv/bin/python bench/case_intake.py [--db sqlite|postgres|both] [--count 1000]
        [--threads 8] [--workers N] [--seconds 60] [--postgres postgres://postgres@127.0.0.1:5432/yemai_bench_intake]

For each database: a fresh database with a small town (4 villages × 4 micro-grids, one member on
duty in each), a centre-operator account with an API token (a machine client), and
``yemai serve`` as it ships (waitress; by default one process per core with 2 threads each,
background tasks in a thread of the first) on a free loopback port, with a settings module that adds two baseline endpoints
(``bench/case_intake_urls.py``). Client threads post the same JSON body, each on a keep-alive
connection, with a fresh ``Idempotency-Key`` per request, to:

* ``/bench/noop``: authenticate the token, parse the body, write nothing (the HTTP floor);
* ``/bench/plain``: the same, then write the rows a Yemai intake writes per case — measured on
  warm-up cases: the case, its history, outbox and task rows — with plain SQL in one transaction;
* ``/api/cases``: Yemai's intake: validate, locate, duplicate check, route, store the case with
  its history and outbox rows, answer the case in JSON.

Each endpoint gets ``--count`` requests, or as many as fit in ``--seconds``. Printed: requests
per second, and Yemai's rate against the plain-SQL one. Targets (issue 3): at least 300 cases/s
on SQLite, and at least half the plain-SQL rate. Loopback only; every loop is bounded by count
and time. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._server import (  # noqa: E402
    free_port,
    prepare_database,
    server_cpu_seconds,
    start_server,
)

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/yemai_bench_intake"
WARMUP = 40
TARGET_RATE = 300.0
TARGET_RATIO = 0.5
BODY = {
    "category": "0203",
    "description": "店门口占道经营，影响行人通行",
    "reporter_name": "张三",
    "reporter_phone": "13800138000",
}


# --- the world -------------------------------------------------------------------------------


def build_town() -> tuple[str, list[tuple[float, float, float, float]]]:
    """Town, villages, micro-grids with a member on duty each; returns a token and the boxes."""
    from shapely.geometry import box

    from yemai.accounts.models import User
    from yemai.accounts.roles import Role
    from yemai.accounts.tokens import token_create
    from yemai.cases.services import category_link_departments
    from yemai.grids.choices import Level, TeamKind
    from yemai.grids.models import Team, TeamMember
    from yemai.grids.services import grid_node_create

    x0, y0, step = 121.20, 30.20, 0.01
    town = grid_node_create(
        code="330282001",
        name="基准街道",
        level=Level.TOWN,
        boundary=box(x0, y0, x0 + 0.08, y0 + 0.02),
    )
    boxes = []
    for v in range(4):
        vx = x0 + v * 2 * step
        village = grid_node_create(
            code=f"330282001{v + 1:03d}",
            name=f"第{v + 1}社区",
            level=Level.VILLAGE,
            parent=town,
            boundary=box(vx, y0, vx + 2 * step, y0 + 2 * step),
        )
        for m in range(4):
            mx, my = vx + (m % 2) * step, y0 + (m // 2) * step
            micro = grid_node_create(
                code=f"330282001{v + 1:03d}{m + 1:03d}",
                name=f"第{v + 1}社区第{m + 1}微网格",
                level=Level.MICRO,
                parent=village,
                boundary=box(mx, my, mx + step, my + step),
            )
            boxes.append((mx, my, mx + step, my + step))
            user = User.objects.create_user(
                username=f"member_{v}_{m}", password=None, role=Role.MEMBER, scope=micro
            )
            for kind in TeamKind.values:
                team = Team.objects.create(grid=micro, kind=kind)
                if kind == TeamKind.WORK:
                    TeamMember.objects.create(
                        team=team, user=user, name=f"网格员{v}{m}", phone="13800001111"
                    )
    category_link_departments(town=town)
    operator = User.objects.create_user(
        username="bench_client", password=None, role=Role.CENTRE_OPERATOR, scope=town
    )
    _token, raw = token_create(user=operator, name="intake bench")
    return raw, boxes


def table_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def templates_from(before: dict, after: dict, n: int) -> dict[str, list[int]]:
    """Which rows one intake writes: per table, the ids of the last case's rows."""
    from django.db import connection

    from yemai.cases.models import Case

    last = Case.objects.order_by("-id").first()
    templates = {"cases_case": [last.pk]}
    with connection.cursor() as cursor:
        for table, count in after.items():
            per_case = round((count - before.get(table, 0)) / n)
            if per_case <= 0 or table == "cases_case":
                continue
            if table == "cases_caseevent":
                cursor.execute(
                    "SELECT id FROM cases_caseevent WHERE case_id = %s ORDER BY id", [last.pk]
                )
                templates[table] = [r[0] for r in cursor.fetchall()]
            else:
                cursor.execute(
                    f"SELECT id FROM {connection.ops.quote_name(table)} ORDER BY id DESC LIMIT %s",  # noqa: S608
                    [per_case],
                )
                templates[table] = [r[0] for r in cursor.fetchall()]
    return templates


# --- the server ------------------------------------------------------------------------------


def post(conn: http.client.HTTPConnection, path: str, body: dict, token: str) -> tuple[int, bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    conn.request(
        "POST",
        path,
        body=data,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": os.urandom(8).hex(),
        },
    )
    response = conn.getresponse()
    return response.status, response.read()


def load(port, path, token, boxes, count, threads, seconds) -> tuple[float, int, dict]:
    """Post ``count`` requests from ``threads`` threads (bounded by ``seconds``)."""
    ticket = itertools.count()
    statuses: dict[int, int] = {}
    samples: dict[int, str] = {}  # one answer per failing status, to say why
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    done = [0]

    def worker(seed: int):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while next(ticket) < count and time.monotonic() < deadline:
                x0, y0, x1, y1 = rng.choice(boxes)
                body = {**BODY, "lon": rng.uniform(x0, x1), "lat": rng.uniform(y0, y1)}
                try:
                    status, answer = post(conn, path, body, token)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    status, answer = 0, str(exc).encode()
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if not 200 <= status < 300:
                        samples.setdefault(status, answer.decode("utf-8", "replace")[:200])
                    if 200 <= status < 300:
                        done[0] += 1
        finally:
            conn.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    return done[0] / elapsed, done[0], statuses, samples


# --- one database ----------------------------------------------------------------------------


def run_one(kind: str, args) -> bool:
    tmp = tempfile.mkdtemp(prefix=f"yemai-intake-{kind}-")
    url = f"sqlite:///{tmp}/yemai.sqlite3" if kind == "sqlite" else args.postgres
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "YEMAI_DEMO": "1",
        "YEMAI_DATA_DIR": tmp,
        "YEMAI_SECURE_COOKIES": "0",
        "DJANGO_SETTINGS_MODULE": "bench.case_intake_settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    prepare_database(url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    token, boxes = build_town()
    connection.close()

    port = free_port()
    log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115
    server = start_server(env, port, log, workers=args.workers)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        before = table_counts()
        rng = random.Random(0)
        for _ in range(WARMUP):
            x0, y0, x1, y1 = rng.choice(boxes)
            status, _answer = post(
                conn, "/api/cases", {**BODY, "lon": (x0 + x1) / 2, "lat": (y0 + y1) / 2}, token
            )
            if status != 201:
                raise RuntimeError(f"warm-up intake answered {status}; see {tmp}/server.log")
        after = table_counts()
        templates = templates_from(before, after, WARMUP)
        conn.request(
            "POST",
            "/bench/setup",
            body=json.dumps({"templates": templates}),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        setup = json.loads(conn.getresponse().read())
        conn.close()
        connection.close()
        rows = ", ".join(f"{t} {n}" for t, n in setup["tables"].items())
        workers = args.workers or settings.WEB_WORKERS
        name = "SQLite (WAL, embedded)" if kind == "sqlite" else "PostgreSQL"
        print(
            f"{name}: {workers} server process(es) × {settings.WEB_THREADS} threads, "
            f"{args.threads} client threads, "
            f"{args.count} requests per endpoint"
        )
        print(f"  rows per case: {rows}")
        rates, cpu = {}, {}
        for label, path in (
            ("no-op POST", "/bench/noop"),
            ("plain SQL writes", "/bench/plain"),
            ("Yemai intake", "/api/cases"),
        ):
            cpu_before, client_before = server_cpu_seconds(server), time.process_time()
            rate, done, statuses, samples = load(
                port, path, token, boxes, args.count, args.threads, args.seconds
            )
            cpu_after = server_cpu_seconds(server)
            client_ms = (time.process_time() - client_before) / max(done, 1) * 1000
            rates[path] = rate
            if cpu_before is not None and cpu_after is not None and done:
                cpu[path] = (cpu_after - cpu_before) / done * 1000
            bad = {s: n for s, n in statuses.items() if not 200 <= s < 300}
            extra = f"   (failed: {bad})" if bad else ""
            per = f"   {cpu[path]:5.1f} ms server CPU each" if path in cpu else ""
            per += f", {client_ms:4.1f} ms client CPU"
            print(
                f"  {label:<17} {rate:8.0f} /s   ({done} in {done / rate if rate else 0:.1f} s)"
                f"{per}{extra}"
            )
            for status, answer in samples.items():
                print(f"      {status}: {answer}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    yemai, plain, noop = rates["/api/cases"], rates["/bench/plain"], rates["/bench/noop"]
    ratio = yemai / plain if plain else 0.0
    if len(cpu) == 3:
        own, writes = (
            cpu["/api/cases"] - cpu["/bench/noop"],
            cpu["/bench/plain"] - cpu["/bench/noop"],
        )
        print(
            f"  server CPU above the no-op: Yemai {own:.1f} ms, plain SQL {writes:.1f} ms"
            f" ({own / writes if writes > 0 else 0:.1f} ×)"
        )
    ok = ratio >= TARGET_RATIO and (kind != "sqlite" or yemai >= TARGET_RATE)
    print(
        f"  Yemai = {ratio:.2f} × plain SQL, {yemai / noop if noop else 0:.2f} × no-op"
        f"   (targets: ≥ {TARGET_RATIO} × plain"
        + (f", ≥ {TARGET_RATE:.0f} cases/s" if kind == "sqlite" else "")
        + f"): {'OK' if ok else 'MISSED'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--count", type=int, default=1000, help="requests per endpoint")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument(
        "--workers",
        type=int,
        help="server processes (yemai serve --workers; default: the server's, one per core)",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per endpoint")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--one", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # one database per process: Django sets up once
        return 0 if run_one(args.one, args) else 1
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    ok = True
    for kind in kinds:
        cmd = [sys.executable, __file__, "--one", kind, "--count", str(args.count),
               "--threads", str(args.threads), "--seconds", str(args.seconds),
               "--postgres", args.postgres]  # fmt: skip
        if args.workers is not None:
            cmd += ["--workers", str(args.workers)]
        ok = subprocess.run(cmd, check=False).returncode == 0 and ok
        sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
