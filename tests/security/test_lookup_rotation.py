"""Rotating the lookup key (the keyed hashes that let ID numbers and phones be searched)
without downtime: YEMAI_LOOKUP_KEYS="new,old", `yemai keys rotate-lookup`, drop the old key."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tests.factories import make_id_number
from yemai.core.security.lookups import lookup_rotate, lookup_status, unregistered_hash_columns
from yemai.ledgers import services as ledger_services
from yemai.people.models import Resident
from yemai.people.selectors import resident_list
from yemai.people.services import resident_create

OLD = "test-lookup-key"  # tests/settings.py
NEW = "a-brand-new-lookup-key-2027"


class Stop(Exception):
    pass


@pytest.fixture
def people(town):
    """Eight more residents of 东门 micro-grid 1 and a welfare household; the residents the
    centre operator sees (not the one with a restricted tag) are returned."""
    for n in range(8):
        resident_create(
            grid=town.dongmen1,
            name=f"居民{n}",
            id_number=make_id_number(700 + n),
            phone=f"1391234{n:04d}",
        )
    ledger_services.ledger_row_create(
        kind="welfare-households",
        user=None,
        data={
            "grid": town.dongmen1.code, "kind": "低保", "head_name": "户主", "monthly_amount": 800,
            "id_number": make_id_number(790), "entered_on": "2026-01-10",
        },
    )  # fmt: skip
    return list(Resident.objects.exclude(pk=town.restricted_dongmen1.pk).order_by("pk"))


def found(town, term: str) -> list[str]:
    return [r.name for r in resident_list(user=town.operator, q=term)]


def every_one_is_found(town, residents) -> None:
    for r in residents:
        assert found(town, r.id_number) == [r.name], r.name
        if r.phone:
            assert found(town, r.phone) == [r.name], r.name


def review_by_id_number(number: str):
    """A welfare review names its household by the head's ID number (a search by hash)."""
    return ledger_services.ledger_row_create(
        kind="welfare-reviews",
        user=None,
        data={"household": number, "date": "2026-03-01", "outcome": "keep"},
    )


def run(*args) -> str:
    out = io.StringIO()
    call_command("keys", *args, verbosity=0, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_every_hash_column_beside_an_encrypted_one_is_registered_for_rotation():
    assert unregistered_hash_columns() == []


def test_search_works_before_during_and_after_rotation(town, people, settings):
    every_one_is_found(town, people)  # before: one key

    settings.LOOKUP_KEYS = [NEW, OLD]  # the operator lists the new key first and restarts
    every_one_is_found(town, people)
    newcomer = resident_create(
        grid=town.dongmen1, name="新来的", id_number=make_id_number(801), phone="13912349999"
    )
    people.append(newcomer)

    # An interrupted run: the first batches are rotated, the rest is not.
    calls = []

    def stop_halfway(done, total):
        calls.append(done)
        if len(calls) == 4:  # (0, total) then three batches of two rows
            raise Stop

    with pytest.raises(Stop):
        lookup_rotate(batch=2, progress=stop_halfway)
    status = lookup_status()["people.resident.id_number_hash"]
    assert status["current"] > 1 and status["old"] > 1, status  # the newcomer and some more
    every_one_is_found(town, people)
    review_by_id_number(make_id_number(790))
    # One person, one row, whichever key their row's hash is under.
    for r in (people[0], people[-2]):
        with pytest.raises(ValidationError, match="already exists"):
            resident_create(grid=town.dongmen2, name="重复", id_number=r.id_number)

    out = run("rotate-lookup")  # started again, it finishes
    assert "Every search hash is under the first key" in out
    assert "people.resident.id_number_hash" in out and "already current" in out
    for counts in lookup_status().values():
        assert not counts["old"] and not counts["unknown"], counts
    assert "every search hash is under the first key" in run("lookup-status")

    settings.LOOKUP_KEYS = [NEW]  # after: the old key is dropped
    every_one_is_found(town, people)
    review_by_id_number(make_id_number(790))
    with pytest.raises(ValidationError, match="already exists"):
        resident_create(grid=town.dongmen2, name="重复", id_number=people[3].id_number)

    settings.LOOKUP_KEYS = [OLD]  # the hashes really moved: the old key alone finds nothing
    assert found(town, people[0].id_number) == []


def test_a_row_changed_by_the_site_during_rotation_is_not_overwritten(
    town, people, settings, monkeypatch
):
    """The site changes a row's ID number between the rotation reading it and writing it:
    the site's hash (under the new key) stays, the stale one is not written over it."""
    from yemai.core.security import lookups
    from yemai.people.services import resident_update

    settings.LOOKUP_KEYS = [NEW, OLD]
    target = people[5]
    changed = make_id_number(901)
    original = lookups.LookupColumn.hash_of

    def hash_of(column, plain):
        if plain == target.id_number and column.hash_field == "id_number_hash":
            resident_update(resident=Resident.objects.get(pk=target.pk), id_number=changed)
        return original(column, plain)

    monkeypatch.setattr(lookups.LookupColumn, "hash_of", hash_of)
    result = lookup_rotate(batch=4)
    assert result.changed["people.resident.id_number_hash"] == 1
    assert result.total >= len(people) - 1
    monkeypatch.undo()
    assert found(town, changed) == [target.name]
    assert found(town, target.id_number) == []
    settings.LOOKUP_KEYS = [NEW]
    assert found(town, changed) == [target.name]


def test_status_tells_old_from_current_and_unknown(town, people, settings):
    settings.LOOKUP_KEYS = [NEW, OLD]
    status = lookup_status()
    assert status["people.resident.id_number_hash"]["old"] == Resident.objects.count()
    assert "run `yemai keys rotate-lookup`" in run("lookup-status")
    settings.LOOKUP_KEYS = [NEW]  # dropped before rotating: the hashes are under no listed key
    assert lookup_status()["people.resident.id_number_hash"]["unknown"] == Resident.objects.count()
    assert found(town, people[0].id_number) == []
    run("rotate-lookup")  # recomputed from the decrypted values, they are found again
    every_one_is_found(town, people)


def _settings_error(**env) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("YEMAI_LOOKUP")}
    base.update(env, DJANGO_SETTINGS_MODULE="yemai.settings", YEMAI_DEMO="0")
    code = "import django; django.setup(); from django.conf import settings; print(settings.LOOKUP_KEYS)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=60
    )
    return done.stdout + done.stderr


def test_the_single_key_setting_still_works_and_both_at_once_are_refused():
    assert "['only-one']" in _settings_error(YEMAI_LOOKUP_KEY="only-one")
    assert "['new', 'old']" in _settings_error(YEMAI_LOOKUP_KEYS="new, old")
    both = _settings_error(YEMAI_LOOKUP_KEYS="new,old", YEMAI_LOOKUP_KEY="old")
    assert "not both" in both
    assert "twice" in _settings_error(YEMAI_LOOKUP_KEYS="k,k")
