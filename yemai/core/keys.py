"""Encryption keys: generating them, and moving personal data onto the newest one.

Every ``EncryptedTextField`` of every installed model is found through ``apps.get_models()``,
so a column added by any app is rotated without being listed here. Rotation re-encrypts only
values whose key id is not the current one (``crypto.current_kid``), a batch per short
transaction, each row with a conditional UPDATE (``WHERE id = … AND column = <old token>``): a
row the site changed meanwhile is left alone and read again in the next pass, so the site keeps
running while ``yemai keys rotate`` works through the tables.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.db.models.lookups import Exact

from . import crypto
from .fields import EncryptedTextField

EMPTY = "(empty)"
PLAINTEXT = "(plaintext)"


def keys_generate(*, today: dt.date | None = None) -> dict[str, str]:
    """Fresh values for the environment. Needs no settings (runs before any key exists)."""
    year = (today or dt.date.today()).year
    kid = f"k{year}{secrets.token_hex(2)}"  # alphanumeric, sorts by year, unique enough
    return {
        "YEMAI_ENCRYPTION_KEYS": f"{kid}:{crypto.generate_key()}",
        "YEMAI_LOOKUP_KEY": secrets.token_urlsafe(32),
    }


def keys_generate_lines() -> str:
    return "\n".join(f"{name}={value}" for name, value in keys_generate().items())


@dataclass(frozen=True)
class Column:
    model: type[models.Model]
    field: EncryptedTextField

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field.name}"

    def raw(self) -> Cast:
        """The stored token, not decrypted (a plain text expression over the column)."""
        return Cast(F(self.field.name), output_field=models.TextField())

    def rows(self):
        return self.model._base_manager.annotate(_token=self.raw())


def encrypted_columns() -> list[Column]:
    """Every encrypted column of every installed, managed model."""
    found = [
        Column(model, f)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ]
    return sorted(found, key=lambda c: c.label)


def _kid_of(token: str | None) -> str:
    if not token:
        return EMPTY
    return crypto.token_kid(token) or PLAINTEXT


def key_status() -> dict[str, Counter]:
    """For each column, how many values each key id encrypted (and how many are empty)."""
    status: dict[str, Counter] = {}
    for column in encrypted_columns():
        tokens = column.rows().values_list("_token", flat=True)
        status[column.label] = Counter(_kid_of(t) for t in tokens.iterator(chunk_size=5000))
    return status


@dataclass
class RotateResult:
    kid: str
    rotated: Counter = field(default_factory=Counter)  # column label → values re-encrypted
    failed: dict[str, set] = field(default_factory=dict)  # column label → ids not decryptable
    passes: int = 0

    @property
    def total(self) -> int:
        return sum(self.rotated.values())

    @property
    def total_failed(self) -> int:
        return sum(len(ids) for ids in self.failed.values())


def _stale(column: Column, kid: str):
    """Rows whose value is not under ``kid`` (a prefilter: LIKE ignores case on SQLite, so the
    rows are checked again one by one)."""
    current = Q(_token__startswith=f"a1${kid}$") | Q(_token__startswith=f"s1${kid}$")
    return column.rows().exclude(current).exclude(_token__isnull=True).exclude(_token="")


def _rotate_batch(column: Column, rows, kid: str, result: RotateResult) -> int:
    """Re-encrypt one batch in one short transaction; returns how many rows changed meanwhile."""
    context = column.field.crypto_context
    changed = 0
    with transaction.atomic():
        for pk, token in rows:
            if crypto.token_kid(token) == kid:
                continue
            try:
                plain = (
                    crypto.decrypt(token, context=context) if crypto.is_encrypted(token) else token
                )
            except crypto.DecryptionError:
                result.failed.setdefault(column.label, set()).add(pk)
                continue
            fresh = crypto.encrypt(plain, context=context)
            updated = column.model._base_manager.filter(Exact(column.raw(), token), pk=pk).update(
                **{column.field.attname: fresh}
            )
            if updated:
                result.rotated[column.label] += 1
            else:
                changed += 1
    return changed


def keys_rotate(*, batch: int = 500, progress=None, max_passes: int = 5) -> RotateResult:
    """Re-encrypt every value not under the current key. ``progress`` is called with the
    number of rows done (a tqdm bar's ``update``) and, once per pass, ``progress(0, total)``."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    kid = crypto.current_kid()
    result = RotateResult(kid=kid)
    for pass_number in range(1, max_passes + 1):
        result.passes = pass_number
        columns = [(c, _stale(c, kid)) for c in encrypted_columns()]
        todo = [(c, qs, qs.count()) for c, qs in columns]
        pending = sum(n for _, _, n in todo) - result.total_failed
        if pending <= 0:
            break
        if progress:
            progress(0, pending)
        changed = 0
        for column, stale, count in todo:
            if not count:
                continue
            last = None
            while True:
                page = stale.order_by("pk")
                if last is not None:
                    page = page.filter(pk__gt=last)
                rows = list(page.values_list("pk", "_token")[:batch])
                if not rows:
                    break
                last = rows[-1][0]
                changed += _rotate_batch(column, rows, kid, result)
                if progress:
                    progress(len(rows), None)
        if not changed:
            break  # nothing changed under our feet: what is left cannot be decrypted
    return result
