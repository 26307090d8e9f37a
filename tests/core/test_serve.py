"""``yemai serve --demo``: a newcomer's first command gives a working, Chinese admin page."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local test URL)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.mark.slow
def test_it_migrates_loads_the_demo_and_serves_the_admin(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YEMAI_", "DJANGO_"))}
    env.update(
        YEMAI_DEMO="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'yemai.sqlite3'}",
        YEMAI_DATA_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="yemai.settings",
    )
    command = [sys.executable, "-m", "yemai.cli", "serve", "--port", str(port), "--demo"]
    command += ["--demo-scale", "0.02"]
    # The log goes to a file, not a pipe: nothing can block on a full pipe.
    with open(tmp_path / "serve.log", "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            status, body = wait_for_login_page(server, port)
            output = (tmp_path / "serve.log").read_text()
            assert status == 200, output
            assert "<title>登录 | 叶脉 Yemai</title>" in body
            assert 'lang="zh-hans"' in body
            css, _ = get(f"http://127.0.0.1:{port}/static/admin/css/base.css")
            assert css == 200  # static files come from the app itself (whitenoise)
            assert f"Yemai is running at http://127.0.0.1:{port}/" in output
            assert "town_head" in output and "Yemai@demo1" in output
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait_for_login_page(server: subprocess.Popen, port: int) -> tuple[int, str]:
    deadline = time.monotonic() + 180  # migrations and the small demo take a few seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return get(f"http://127.0.0.1:{port}/admin/login/")
        except OSError:
            time.sleep(0.5)
    return 0, ""


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def wait_until(check, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_workers_share_the_port_and_one_that_dies_is_replaced(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YEMAI_", "DJANGO_"))}
    env.update(
        YEMAI_DEMO="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'yemai.sqlite3'}",
        YEMAI_DATA_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="yemai.settings",
    )
    command = [sys.executable, "-m", "yemai.cli", "serve", "--port", str(port), "--workers", "2"]
    with open(tmp_path / "serve.log", "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            status, _ = wait_for_login_page(server, port)
            assert status == 200, (tmp_path / "serve.log").read_text()
            workers = wait_until(
                lambda: len(children_of(server.pid)) == 2 and children_of(server.pid)
            )
            assert len(workers) == 2
            assert "(2 processes)" in (tmp_path / "serve.log").read_text()
            # Either process answers alone: stop one, the other still serves the port.
            stopped, other = sorted(workers)
            os.kill(stopped, signal.SIGSTOP)
            try:
                assert get(f"http://127.0.0.1:{port}/admin/login/")[0] == 200
            finally:
                os.kill(stopped, signal.SIGCONT)
            # A process that dies is started again.
            os.kill(other, signal.SIGKILL)
            replaced = wait_until(
                lambda: len(children_of(server.pid) - {other}) == 2 and children_of(server.pid)
            )
            assert replaced and other not in replaced and stopped in replaced
            assert get(f"http://127.0.0.1:{port}/admin/login/")[0] == 200
            # The new process stops on its own Ctrl+C without taking its sibling with it.
            (newcomer,) = replaced - {stopped}
            os.kill(newcomer, signal.SIGINT)
            assert wait_until(lambda: newcomer not in children_of(server.pid))
            time.sleep(0.5)
            assert Path(f"/proc/{stopped}").exists()
            replaced = wait_until(
                lambda: len(children_of(server.pid)) == 2 and children_of(server.pid)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        # Stopping the server stops every process it started.
        assert wait_until(lambda: not any(Path(f"/proc/{p}").exists() for p in replaced), 15)
