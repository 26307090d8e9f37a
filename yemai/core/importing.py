"""What every ledger import shares: a bad row, said the way the user sees the file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

# A progress callback: wraps an iterable (with its length) in a bar, or returns it unchanged.
Progress = Callable[[Iterable, int], Iterable]


@dataclass
class RowError:
    """A bad row: its number as Excel shows it (0: the file itself), the column, the reason."""

    row: int
    column: str
    message: str

    def __str__(self):
        where = _("row %(row)s") % {"row": self.row} if self.row else _("file")
        if self.column:
            where = _("%(where)s %(column)s") % {"where": where, "column": self.column}
        return _("%(where)s: %(message)s") % {"where": where, "message": self.message}
