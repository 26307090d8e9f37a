"""What the HTTP benchmarks share: a fresh database, a free loopback port, ``yemai serve``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prepare_database(url: str) -> None:
    """Drop and create the PostgreSQL database of ``url`` (SQLite files start empty)."""
    if url.startswith("postgres"):
        import psycopg

        from yemai.settings import database_from_url

        db = database_from_url(url)
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"],
            dbname="postgres", autocommit=True,
        ) as admin:  # fmt: skip
            admin.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{db["NAME"]}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    env: dict, port: int, log, *, wait_s: float = 90, workers: int | None = None
) -> subprocess.Popen:
    """``yemai serve`` on 127.0.0.1:``port`` with ``env`` and ``workers`` processes (None: the
    server's default, one per core); returns once it accepts."""
    code = "import sys; from yemai.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped at start (exit {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"the server did not start in {wait_s:.0f} s")


def server_cpu_seconds(proc: subprocess.Popen) -> float | None:
    """CPU time (user + system) used so far by the server and its worker processes, from
    /proc (Linux); None elsewhere. Beside wall-clock rates on a busy machine, CPU per request
    says what a request costs whatever else the machine is doing."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    pids = {proc.pid}
    total = 0.0
    try:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == proc.pid:  # ppid
                    pids.add(int(entry.name))
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    except OSError:
        return None
    return total
