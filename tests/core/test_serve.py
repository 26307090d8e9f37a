"""``yemai serve --demo``: a newcomer's first command gives a working, Chinese admin page."""

from __future__ import annotations

import os
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
