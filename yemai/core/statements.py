"""Statements of the hottest paths, built once per process instead of once per call.

Django's ORM builds the SQL of every query and insert again each time it runs: for the few
statements that run on every API request (the token lookup) or every case intake (the case,
its history rows, its notice), building them costs more than the database takes to run them.
The functions here keep the SQL text per model, per set of columns and per database, and
send the values through Django's own conversions (``get_db_prep_save`` on the way in, the
backend's and the field's converters on the way out), so a row reads and writes exactly as
through the ORM. They go through the connection's cursor, so query logging, execute wrappers
and transactions behave as for any other query.

``insert`` and ``insert_many`` fall back to the ORM (``save`` / ``bulk_create``) for a model
that needs what they skip: ``pre_save``/``post_save`` receivers, an overridden ``save``, a
parent model, or a field with its own SQL placeholder (geometry). ``use_orm()`` forces the
fallback, so the tests can compare both paths.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager, nullcontext

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_save

_sql: dict[tuple, str] = {}
_local = threading.local()


@contextmanager
def use_orm():
    """Within this block, inserts go through the ORM (to compare both paths in tests)."""
    _local.orm = True
    try:
        yield
    finally:
        _local.orm = False


def _fast(model: type[Model]) -> bool:
    if getattr(_local, "orm", False):
        return False
    meta = model._meta
    return not (
        meta.parents
        or model.save is not Model.save
        or pre_save.has_listeners(model)
        or post_save.has_listeners(model)
        or any(hasattr(f, "get_placeholder") for f in meta.local_concrete_fields)
    )


def _insert_sql(connection, model: type[Model], fields: Sequence, rows: int) -> str:
    key = ("insert", connection.alias, model, tuple(f.attname for f in fields), rows)
    sql = _sql.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES {', '.join([row] * rows)}"
        )
        if connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {qn(model._meta.pk.column)}"
        _sql[key] = sql
    return sql


def _columns(obj: Model) -> list:
    """The fields an insert of ``obj`` writes: all but an auto primary key left empty."""
    meta = obj._meta
    return [
        f
        for f in meta.local_concrete_fields
        if not (f is meta.pk and f.db_returning and getattr(obj, f.attname) is None)
    ]


# Field classes whose conversion leaves a value of these exact types as it is (their own
# get_prep_value is str()/int()/float()/bool() of it; the backends adapt none of them), so the
# insert can pass such a value straight on. Subclasses may convert: they are not listed.
_AS_IS = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.FloatField: (float,),
    models.BooleanField: (bool,),
}
_plans: dict[tuple, list] = {}


def _plan(model, fields) -> list:
    """Per field: (attname, the types passed on as they are, whether the field has its own
    pre_save, the field) — worked out once per model and column set."""
    key = (model, tuple(f.attname for f in fields))
    plan = _plans.get(key)
    if plan is None:
        plan = []
        for f in fields:
            if isinstance(f, models.ForeignKey):  # an id, or None (no related row)
                as_is = _AS_IS.get(type(f.target_field), ())
                as_is = (*as_is, type(None)) if as_is else ()
            else:  # None only where the column takes NULL (else the field refuses it)
                as_is = _AS_IS.get(type(f), ())
                as_is = (*as_is, type(None)) if as_is and f.null else as_is
            custom_pre_save = type(f).pre_save is not models.Field.pre_save
            plan.append((f.attname, as_is, custom_pre_save, f))
        _plans[key] = plan
    return plan


def _values(obj: Model, fields, connection) -> list:
    values = []
    for attname, as_is, custom_pre_save, field in _plan(type(obj), fields):
        value = field.pre_save(obj, True) if custom_pre_save else getattr(obj, attname)
        if type(value) not in as_is:
            value = field.get_db_prep_save(value, connection=connection)
        values.append(value)
    return values


def insert(obj: Model, *, using: str = DEFAULT_DB_ALIAS, guard_unique: bool = False) -> None:
    """Insert ``obj`` as a new row (as ``obj.save(force_insert=True)``) and set its id.

    With ``guard_unique``, a unique clash raises ``IntegrityError`` and leaves the caller's
    transaction usable: SQLite undoes the one statement by itself; PostgreSQL needs a
    savepoint, which only it gets.
    """
    insert_many([obj], using=using, guard_unique=guard_unique)


def insert_many(
    objs: Iterable[Model], *, using: str = DEFAULT_DB_ALIAS, guard_unique: bool = False
) -> None:
    """Insert new rows of one model in one statement (as ``bulk_create``) and set their ids."""
    objs = list(objs)
    if not objs:
        return
    model = type(objs[0])
    connection = connections[using]
    returning = connection.features.can_return_columns_from_insert
    if not _fast(model) or (len(objs) > 1 and not returning):
        with transaction.atomic(using=using, savepoint=guard_unique):
            if len(objs) == 1:
                objs[0].save(force_insert=True, using=using)
            else:
                model._default_manager.using(using).bulk_create(objs)
        return
    fields = _columns(objs[0])
    if any(_columns(o) != fields for o in objs[1:]):
        raise ValueError("insert_many needs rows that all have, or all lack, their ids")
    sql = _insert_sql(connection, model, fields, len(objs))
    params = [value for obj in objs for value in _values(obj, fields, connection)]
    if not guard_unique:
        guard = transaction.mark_for_rollback_on_error(using)  # as Model.save
    elif connection.vendor == "sqlite":
        guard = nullcontext()  # a failed statement leaves SQLite's transaction usable
    else:
        guard = transaction.atomic(using=using)  # PostgreSQL needs a savepoint for that
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()] if returning else [cursor.lastrowid]
    pk = model._meta.pk
    for obj, pk_value in zip(objs, ids, strict=True):
        if pk_value is not None and getattr(obj, pk.attname) is None:
            setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = using


def update(obj: Model, fields: Sequence[str], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """``UPDATE … SET <fields> = obj's values WHERE id = obj.id`` (as ``save(update_fields=)``
    without signals); returns the rows changed."""
    connection = connections[using]
    meta = obj._meta
    model_fields = [meta.get_field(name) for name in fields]
    key = ("update", using, type(obj), tuple(fields))
    sql = _sql.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        sets = ", ".join(f"{qn(f.column)} = %s" for f in model_fields)
        sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
        _sql[key] = sql
    params = [
        f.get_db_prep_save(getattr(obj, f.attname), connection=connection) for f in model_fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])
        return cursor.rowcount


def scalar(sql: str, params: Sequence, *, using: str = DEFAULT_DB_ALIAS):
    """The first column of the first row of ``sql``, or None when there is no row."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def select(sql: str, params: Sequence, models: Sequence[type[Model]], *, using=DEFAULT_DB_ALIAS):
    """Run ``sql``, whose columns are each model's concrete fields in order (see ``columns``),
    and return the first row as model instances (one per model; None for a model whose id is
    NULL, as a LEFT JOIN gives), or None when there is no row."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    out, start = [], 0
    for model in models:
        fields = model._meta.concrete_fields
        values = list(row[start : start + len(fields)])
        start += len(fields)
        for i, (col, converters) in enumerate(_converters(connection, model)):
            value = values[i]
            for converter in converters:
                value = converter(value, col, connection)
            values[i] = value
        pk_index = fields.index(model._meta.pk)
        out.append(
            None
            if values[pk_index] is None
            else model.from_db(using, [f.attname for f in fields], values)
        )
    return out


_converter_cache: dict[tuple, list] = {}


def _converters(connection, model):
    key = (connection.alias, model)
    found = _converter_cache.get(key)
    if found is None:
        found = []
        for field in model._meta.concrete_fields:
            col = field.get_col(model._meta.db_table)
            found.append(
                (col, connection.ops.get_db_converters(col) + field.get_db_converters(connection))
            )
        _converter_cache[key] = found
    return found


def cached_sql(name: str, build, *, using: str = DEFAULT_DB_ALIAS) -> str:
    """The SQL text ``build(quote_name)`` makes, built once per process and database."""
    key = ("sql", using, name)
    sql = _sql.get(key)
    if sql is None:
        sql = _sql[key] = build(connections[using].ops.quote_name)
    return sql


def columns(model: type[Model], alias: str, *, using: str = DEFAULT_DB_ALIAS) -> str:
    """The select list for ``select``: ``alias.column`` of each concrete field, in order."""
    qn = connections[using].ops.quote_name
    return ", ".join(f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields)
