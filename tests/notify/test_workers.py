"""The embedded tier's database is a SQLite file: two ``yemai worker`` processes share it and
still deliver every notice once, in order per channel, and stop cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
from django.db import transaction
from yemai.grids.services import grid_node_create
from yemai.notify.services import channel_create, notice_send
town = grid_node_create(code="330282001", name="宗汉街道", level="town")
with transaction.atomic():
    hooks = [channel_create(grid=town, kind="webhook", name=f"h{i}", config={"url": URL})
             for i in range(6)]
    for n in range(120):
        notice_send(channel=hooks[n % 6], template="notify.test", params={"channel": f"n{n}"})
"""


def yemai(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "yemai.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        **kwargs,
    )


@pytest.mark.slow
@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="about the SQLite tier: run once, in the SQLite pass"
)
def test_two_worker_processes_on_one_sqlite_file_deliver_each_notice_once(tmp_path, receiver):
    database = tmp_path / "yemai.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YEMAI_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"sqlite:///{database}",
        YEMAI_DATA_DIR=str(tmp_path / "var"),
        YEMAI_NOTIFY_DIGEST_AFTER="1000",  # one message per notice, to count them
        YEMAI_LOG_LEVEL="WARNING",
    )
    assert yemai(env, "migrate", "-v0").returncode == 0
    setup = yemai(env, "shell", "-c", f"URL = {receiver.url + '/hook'!r}\n" + SETUP)
    assert setup.returncode == 0, setup.stderr
    command = [sys.executable, "-m", "yemai.cli", "worker", "--concurrency", "2", "--poll", "0.1"]
    workers = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 120
        while len(receiver.requests) < 120 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # anything sent twice would arrive by now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    ids = [r.json["id"] for r in receiver.requests]
    assert sorted(ids) == list(range(1, 121))  # each once
    per_channel = defaultdict(list)
    for notice_id in ids:
        per_channel[(notice_id - 1) % 6].append(notice_id)
    assert all(sent == sorted(sent) for sent in per_channel.values())  # in order
    with sqlite3.connect(database) as db:
        states = dict(db.execute("SELECT state, COUNT(*) FROM notify_notice GROUP BY state"))
        claimers = {
            row[0].split(":")[1]
            for row in db.execute("SELECT claimed_by FROM core_task WHERE name = 'notify.deliver'")
        }
    assert states == {"sent": 120}
    assert len(claimers) == 2  # both processes took part
