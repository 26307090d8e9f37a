"""Schemas of the ledgers API. Rows are dicts keyed by the columns of ``registry.LEDGERS``."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class LedgerFilter(Schema):
    grid: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    q: str = ""


class LedgerRowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    kind: str
    created: int
    errors: list[LedgerRowErrorOut]


class PetitionCloseIn(Schema):
    closure_number: str
    closed_on: dt.date | None = None
    handling: str = ""


class WelfareReviewIn(Schema):
    date: dt.date
    outcome: str
    note: str = ""
    monthly_amount: float | None = None


class DeedTransitionIn(Schema):
    to: str
    investigation: str | None = None
    decision_number: str | None = None
    decided_on: dt.date | None = None
    commendation: str | None = None
    award: float | None = None


class LendIn(Schema):
    return_due: dt.date


class RankingOut(Schema):
    rank: int
    grid: str
    grid_name: str
    inspections: int
    score: float | None
    completion: float | None
    targets_met: int
    rectification: str
