"""Benchmark: what the import job's progress reporting costs an Excel import of residents.

    .venv/bin/python bench/people_import.py [--rows 3000] [--every 100] [--repeat 3]
        [--database postgres://postgres@127.0.0.1:5432/yemai_imports_bench]

Generates a workbook of ``--rows`` residents (the columns of an export, valid ID numbers, all
in one micro-grid of the test town), then, in the same process and on the same database,
imports it as the village head alternately without progress and with the import job's
progress writer (``people.import_jobs.JobProgress``: every ``--every`` rows, to a file beside
the database on SQLite, to the job's row through a second connection on PostgreSQL). Each
import runs inside a transaction that is rolled back afterwards, so every run creates the same
rows into the same database. Prints the median and best of each, their ratio, the time the
progress writes themselves took (measured inside the writer, so free of the noise of a shared
machine), and the time of the dry run (the check, which runs as a background job too).

Without ``--database`` it uses a fresh SQLite file in a temporary folder. A PostgreSQL database
is created if missing and migrated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(database: str | None) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="yemai-bench-import-"))
    os.environ["DATABASE_URL"] = database or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["YEMAI_DATA_DIR"] = str(scratch)
    # The test settings: fixed keys, fast password hashing; the database from DATABASE_URL.
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    if database and database.startswith("postgres"):
        _create_pg_database(database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_pg_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    from tests.factories import make_id_number
    from tests.people.conftest import DONGMEN1, RESIDENT_HEADERS

    book = Workbook()
    sheet = book.active
    sheet.append(RESIDENT_HEADERS)
    first = dt.date(1950, 1, 1)
    for i in range(rows):
        # make_id_number keeps 1000 sequence numbers a day: spread people over birth dates.
        birth = (first + dt.timedelta(days=i // 900)).strftime("%Y%m%d")
        number = make_id_number(i % 900, birth)
        sheet.append([f"居民{i}", number, f"139{i:08d}", DONGMEN1, "户籍", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--every", type=int, default=100, help="rows between progress writes")
    parser.add_argument("--repeat", type=int, default=3, help="imports of each kind")
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    setup(args.database)

    from django.db import connection, transaction

    from tests.factories import build_town
    from yemai.accounts.models import User
    from yemai.people.choices import ImportJobState
    from yemai.people.import_jobs import JobProgress
    from yemai.people.importers import import_xlsx
    from yemai.people.models import ImportJob, Resident

    if not User.objects.filter(username="dongmen_head").exists():
        build_town()
    user = User.objects.get(username="dongmen_head")
    data = workbook(args.rows)
    job = ImportJob.objects.create(kind="residents", created_by=user, state=ImportJobState.RUNNING)

    def once(progress: bool, *, dry_run: bool = False) -> tuple[float, int, float]:
        writer = JobProgress(job.pk, every=args.every) if progress else None
        with transaction.atomic():
            started = time.perf_counter()
            report = import_xlsx(
                kind="residents",
                file=io.BytesIO(data),
                user=user,
                progress=writer,
                dry_run=dry_run,
            )
            elapsed = time.perf_counter() - started
            assert report.ok, report.errors[:3]
            assert dry_run or report.created == args.rows, report.as_dict()
            transaction.set_rollback(True)
        if writer is None:
            return elapsed, 0, 0.0
        writer.close()
        return elapsed, writer.writes, writer.spent

    once(False)  # warm up: imports, caches, the first connection
    timings: dict[bool, list[float]] = {False: [], True: []}
    writes, spent = 0, []
    for _round in range(args.repeat):
        for progress in (False, True):
            elapsed, count, seconds = once(progress)
            timings[progress].append(elapsed)
            if progress:
                writes = count
                spent.append(seconds)
    dry, _w, _s = once(False, dry_run=True)
    assert not Resident.objects.filter(name__startswith="居民").exists()
    ImportJob.objects.filter(pk=job.pk).delete()

    plain, tracked = statistics.median(timings[False]), statistics.median(timings[True])
    print(f"database: {connection.vendor}, rows: {args.rows}, progress every {args.every} rows")
    print(
        f"without progress: median {plain:.3f} s (best {min(timings[False]):.3f} s), "
        f"{args.rows / plain:.0f} rows/s"
    )
    print(
        f"with progress:    median {tracked:.3f} s (best {min(timings[True]):.3f} s), "
        f"{writes} progress writes taking {statistics.median(spent) * 1000:.1f} ms in all"
    )
    print(f"ratio (with / without): {tracked / plain:.3f}")
    print(f"dry run (the check, also a background job): {dry:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
