"""Rotating the lookup key: the keyed hashes beside encrypted columns, moved onto a new key.

An ID number or a phone is searched by its keyed hash (``crypto.lookup_hash``), kept in a
column beside the encrypted value. ``YEMAI_LOOKUP_KEYS="new,old"`` makes every write hash
under the new key and every search look for the hash under each listed key
(``crypto.lookup_hashes``, ``column__in=…``), so the site keeps finding rows that are not
rotated yet. ``yemai keys rotate-lookup`` then recomputes each hash from the decrypted value,
a batch per short transaction, each row with a conditional UPDATE (``WHERE id = … AND hash =
<the hash read>``): a row the site changed meanwhile already carries the new key's hash and is
left alone. A row whose hash is already the new key's is not written again, so an interrupted
run is simply started again. Once it reports every hash current, the old key is dropped.

The owning apps say which columns are hashes, of what and for which purpose, with
``register_lookup`` in their ``services`` module (found as Django's admin finds ``admin``
modules); ``unregistered_hash_columns`` catches a hash column nobody registered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from .. import crypto
from ..fields import EncryptedTextField


@dataclass(frozen=True)
class LookupColumn:
    model_label: str  # "people.resident"
    hash_field: str
    source_field: str
    purpose: str
    prepare: Callable[[str], str] = str  # the normalisation the owning service hashes

    @property
    def model(self):
        return apps.get_model(self.model_label)

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.hash_field}"

    def hash_of(self, plain: str | None) -> str:
        """The hash this row should carry under the first lookup key."""
        return crypto.lookup_hash(self.prepare(plain) if plain else "", purpose=self.purpose)


_REGISTRY: dict[tuple[str, str], LookupColumn] = {}


def register_lookup(
    *,
    model: str,
    hash_field: str,
    source_field: str,
    purpose: str,
    prepare: Callable[[str], str] = str,
) -> None:
    """Declare that ``model.hash_field`` holds ``lookup_hash(prepare(source), purpose)``."""
    column = LookupColumn(model.lower(), hash_field, source_field, purpose, prepare)
    _REGISTRY[(column.model_label, hash_field)] = column


def lookup_columns() -> list[LookupColumn]:
    autodiscover_modules("services")
    return sorted(_REGISTRY.values(), key=lambda c: (c.model_label, c.hash_field))


def unregistered_hash_columns() -> list[str]:
    """``<name>_hash`` columns beside an encrypted ``<name>`` that no app registered."""
    known = {(c.model_label, c.hash_field) for c in lookup_columns()}
    missing = []
    for model in apps.get_models():
        fields = {f.name: f for f in model._meta.concrete_fields}
        for name in fields:
            source = fields.get(name.removesuffix("_hash"))
            if (
                name.endswith("_hash")
                and isinstance(source, EncryptedTextField)
                and (model._meta.label_lower, name) not in known
            ):
                missing.append(f"{model._meta.label_lower}.{name}")
    return missing


@dataclass
class LookupRotateResult:
    rotated: Counter = field(default_factory=Counter)  # column label → hashes rewritten
    current: Counter = field(default_factory=Counter)  # column label → already under the key
    changed: Counter = field(default_factory=Counter)  # column label → changed meanwhile

    @property
    def total(self) -> int:
        return sum(self.rotated.values())


def _rotate_batch(column: LookupColumn, rows, result: LookupRotateResult) -> None:
    manager = column.model._base_manager
    with transaction.atomic():
        for pk, plain, stored in rows:
            fresh = column.hash_of(plain)
            if fresh == stored:
                result.current[column.label] += 1
                continue
            updated = manager.filter(pk=pk, **{column.hash_field: stored}).update(
                **{column.hash_field: fresh}
            )
            if updated:
                result.rotated[column.label] += 1
            else:
                result.changed[column.label] += 1


def lookup_rotate(*, batch: int = 500, progress=None) -> LookupRotateResult:
    """Recompute every registered hash under the first lookup key. ``progress`` is called once
    with ``(0, total rows)`` and then with the rows done after each batch."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    columns = lookup_columns()
    result = LookupRotateResult()
    if progress:
        progress(0, sum(c.model._base_manager.count() for c in columns))
    for column in columns:
        rows_qs = column.model._base_manager.order_by("pk")
        last = None
        while True:
            page = rows_qs if last is None else rows_qs.filter(pk__gt=last)
            rows = list(page.values_list("pk", column.source_field, column.hash_field)[:batch])
            if not rows:
                break
            last = rows[-1][0]
            _rotate_batch(column, rows, result)
            if progress:
                progress(len(rows), None)
    return result


def lookup_status() -> dict[str, Counter]:
    """For each hash column: how many rows carry the first key's hash, an older listed key's
    (``old``), or none of them (``unknown``: written under a key no longer listed)."""
    keys = crypto.lookup_keys()
    status: dict[str, Counter] = {}
    for column in lookup_columns():
        counts: Counter = Counter()
        rows = column.model._base_manager.values_list(column.source_field, column.hash_field)
        for plain, stored in rows.iterator(chunk_size=2000):
            if not plain and not stored:
                counts["empty"] += 1
                continue
            value = column.prepare(plain) if plain else ""
            hashes = [crypto.lookup_hash_with(k, value, column.purpose) for k in keys]
            if stored == hashes[0]:
                counts["current"] += 1
            elif stored in hashes[1:]:
                counts["old"] += 1
            else:
                counts["unknown"] += 1
        status[column.label] = counts
    return status
