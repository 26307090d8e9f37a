"""The intake writes its rows with statements built once per process (``core.statements``):
the rows are the ones the ORM would write, on SQLite and on PostgreSQL."""

import datetime as dt

import pytest
from django.db import transaction

from yemai.cases.choices import Source
from yemai.cases.models import Case, CaseEvent
from yemai.cases.services import case_report
from yemai.core import statements
from yemai.notify.models import Notice

from .conftest import IN_DONGMEN1

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)  # a Friday morning, working hours


class Rollback(Exception):
    pass


def intake_rows(t) -> dict:
    """Take one case in and return its rows, then undo it (each path starts from the same
    state, so routing picks the same member)."""
    try:
        with transaction.atomic():
            case, created = case_report(
                source=Source.RESIDENT,
                category=t.stall,
                description="门口摆摊",
                reporter_name="居民甲",
                reporter_phone="13800138000",
                idempotency_key="resident-app:1",
                now=NOW,
                **IN_DONGMEN1,
            )
            assert created
            rows = {
                "case": Case.objects.filter(pk=case.pk).values().get(),
                "phone": Case.objects.get(pk=case.pk).reporter_phone,
                "events": list(CaseEvent.objects.filter(case=case).order_by("id").values()),
                "notices": list(Notice.objects.filter(params__number=case.number).values()),
            }
            raise Rollback
    except Rollback:
        pass
    number = rows["case"]["number"]
    for row in [rows["case"], *rows["events"], *rows["notices"]]:
        row.pop("id")
        row.pop("case_id", None)
        for key in ("number", "tracking_code", "dedupe_key", "text", "params", "created_at"):
            if isinstance(row.get(key), str):
                row[key] = row[key].replace(number, "<number>")
            elif isinstance(row.get(key), dict):
                row[key] = {k: v if v != number else "<number>" for k, v in row[key].items()}
    rows["case"].pop("tracking_code")
    rows["case"].pop("reporter_phone")  # encrypted with a fresh nonce each time
    for notice in rows["notices"]:
        notice.pop("created_at")
        notice.pop("dedupe_key")  # names the event's id
        notice.pop("next_try_at")
    return rows


@pytest.mark.django_db
def test_the_intake_writes_the_rows_the_orm_would(loop_town):
    fast = intake_rows(loop_town)
    with statements.use_orm():
        orm = intake_rows(loop_town)
    assert fast["case"]["number"] == "<number>" and fast["case"]["assignee_id"]
    assert fast["phone"] == "13800138000"
    assert [e["action"] for e in fast["events"]] == ["report", "register", "dispatch"]
    assert len(fast["notices"]) == 1
    # auto_now: the clock at the insert, filled on both paths
    assert fast["case"].pop("updated_at") <= orm["case"].pop("updated_at")
    assert fast == orm
