"""The one command-line entry, ``yemai``: a list of commands, and --help on each."""

import os
import subprocess
import sys

import pytest

from yemai.cli import COMMANDS

ENV = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}


def run_yemai(*args):
    return subprocess.run(
        [sys.executable, "-m", "yemai.cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )


def test_it_lists_its_commands():
    result = run_yemai("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_explains_itself(name):
    result = run_yemai(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_a_missing_key_outside_the_demo_is_a_clear_error():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("YEMAI_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env["YEMAI_SECRET_KEY"] = "x"
    result = subprocess.run(
        [sys.executable, "-m", "yemai.cli", "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert "YEMAI_ENCRYPTION_KEYS" in result.stderr
    assert "Traceback" not in result.stderr
