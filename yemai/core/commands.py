"""What the ledger import commands share: the acting user, errors, progress bars."""

from __future__ import annotations

import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from tqdm import tqdm

MAX_ERROR_LINES = 200


def user_named(username: str):
    """The active account called ``username``, or a CommandError saying there is none."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user named {username}")
    return user


def command_error(exc: Exception) -> CommandError:
    """A ValidationError or PermissionDenied as one line for the terminal, no traceback."""
    if isinstance(exc, ValidationError):
        return CommandError("; ".join(exc.messages))
    return CommandError(str(exc) or "permission denied")


def progress_bar(enabled: bool, unit: str):
    """A progress callback (rows, total) → rows with a tqdm bar on standard error."""

    def wrap(rows, total):
        return tqdm(rows, total=total or None, unit=unit, file=sys.stderr, disable=not enabled)

    return wrap


def write_row_errors(stream, errors) -> None:
    """Every bad row, one a line, at most MAX_ERROR_LINES of them."""
    for error in errors[:MAX_ERROR_LINES]:
        stream.write(str(error))
    if len(errors) > MAX_ERROR_LINES:
        stream.write(f"… and {len(errors) - MAX_ERROR_LINES} more errors")
