"""Statements built once per process (``core.statements``): the rows they write and read are
the ORM's, on SQLite and on PostgreSQL."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yemai.core import statements
from yemai.core.models import RateBucket, Task

pytestmark = pytest.mark.django_db

RUN_AT = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


def stored(model, pk) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    row.pop("id")
    return row


def test_an_insert_stores_what_save_stores():
    fast = Task(name="notify.deliver", args={"channel": 3, "名称": "东门"}, run_at=RUN_AT)
    orm = Task(name="notify.deliver", args={"channel": 3, "名称": "东门"}, run_at=RUN_AT)
    statements.insert(fast)
    with statements.use_orm():
        statements.insert(orm)
    assert fast.pk and orm.pk and fast.pk != orm.pk
    assert not fast._state.adding
    # auto_now_add is filled on the object as save() would
    assert fast.created_at is not None and timezone.is_aware(fast.created_at)
    a, b = stored(Task, fast.pk), stored(Task, orm.pk)
    assert a.pop("created_at") <= b.pop("created_at")
    assert a == b
    assert a["args"] == {"channel": 3, "名称": "东门"} and a["run_at"] == RUN_AT


def test_many_rows_in_one_statement_get_their_ids_in_order():
    tasks = [Task(name=f"t{i}", args={"i": i}, run_at=RUN_AT) for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        statements.insert_many(tasks)
    assert len([q for q in queries if q["sql"].startswith("INSERT")]) == 1
    for i, task in enumerate(tasks):
        assert Task.objects.get(pk=task.pk).args == {"i": i}


def test_a_unique_clash_under_guard_leaves_the_transaction_usable():
    statements.insert(RateBucket(key="login:1.2.3.4", window_start=RUN_AT, hits=1))
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            statements.insert(
                RateBucket(key="login:1.2.3.4", window_start=RUN_AT, hits=9), guard_unique=True
            )
        # the transaction goes on: a later write in it is kept
        statements.insert(RateBucket(key="login:5.6.7.8", window_start=RUN_AT, hits=2))
    assert dict(RateBucket.objects.values_list("key", "hits")) == {
        "login:1.2.3.4": 1,
        "login:5.6.7.8": 2,
    }


def test_a_unique_clash_without_guard_spoils_the_transaction_as_save_does():
    statements.insert(RateBucket(key="k", window_start=RUN_AT))
    with pytest.raises(IntegrityError), transaction.atomic():
        try:
            statements.insert(RateBucket(key="k", window_start=RUN_AT))
        except IntegrityError:
            assert transaction.get_rollback()  # marked for rollback, as Model.save marks it
            raise
    assert RateBucket.objects.count() == 1


def test_a_model_with_save_receivers_goes_through_the_orm():
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.name, created))

    post_save.connect(receiver, sender=Task)
    try:
        statements.insert(Task(name="watched", run_at=RUN_AT))
        statements.insert_many([Task(name="a", run_at=RUN_AT), Task(name="b", run_at=RUN_AT)])
    finally:
        post_save.disconnect(receiver, sender=Task)
    # bulk_create sends no signal (as the ORM); save does
    assert seen == [("watched", True)]
    assert Task.objects.filter(name__in=["watched", "a", "b"]).count() == 3


def test_update_writes_the_named_fields_only():
    task = Task(name="x", args={"a": 1}, run_at=RUN_AT)
    statements.insert(task)
    task.args, task.name = {"a": 2}, "not written"
    assert statements.update(task, ["args"]) == 1
    row = Task.objects.get(pk=task.pk)
    assert (row.name, row.args) == ("x", {"a": 2})


def test_select_builds_instances_with_the_orms_conversions():
    task = Task(name="read me", args={"n": 1}, run_at=RUN_AT, done_at=None)
    statements.insert(task)
    sql = f"SELECT {statements.columns(Task, 't')} FROM core_task t WHERE t.id = %s"  # noqa: S608
    (found,) = statements.select(sql, [task.pk], [Task])
    assert isinstance(found, Task) and not found._state.adding
    assert found.args == {"n": 1}
    assert found.run_at == RUN_AT and timezone.is_aware(found.run_at)
    assert found.done_at is None
    assert statements.select(sql, [-1], [Task]) is None
    assert statements.scalar("SELECT COUNT(*) FROM core_task WHERE name = %s", ["read me"]) == 1
