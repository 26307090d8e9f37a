"""Concurrent intake on PostgreSQL: every report becomes a case with its own number (the bench
once found half of them refused when numbers came from a per-day count)."""

import threading

import pytest
from django.db import connection, connections

from tests.factories import build_town
from yemai.cases.choices import Source
from yemai.cases.models import Case, Category
from yemai.cases.services import case_report


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers")
def test_concurrent_reports_all_land_with_distinct_numbers():
    build_town()
    category = Category.objects.get(code="0203")
    errors: list[Exception] = []

    def report_five(n):
        try:
            for i in range(5):
                case_report(
                    source=Source.RESIDENT,
                    category=category,
                    description=f"thread {n} report {i}",
                    lon=121.21,
                    lat=30.21,
                )
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report_five, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == 30 == len(set(numbers))
    assert all(len(n) == 14 and n[:2] == "20" for n in numbers)


def test_a_case_number_is_the_day_and_the_id(db):
    build_town()
    case, _ = case_report(
        source=Source.RESIDENT,
        category=Category.objects.get(code="0203"),
        description="x",
        lon=121.21,
        lat=30.21,
    )
    assert case.number.endswith(f"{case.pk:06d}")
    assert Case.objects.get(pk=case.pk).number == case.number
