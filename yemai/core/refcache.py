"""Reference data kept in each process: read on nearly every request, changed a few times a year.

Every case intake reads its category, the holiday calendar, the notice channels and its grid.
Those rows change when the centre edits its settings, not when a case comes in, so each process
keeps them instead of asking the database again for every case.

A ``ReferenceCache`` holds what its loader built from the database and drops it

* at once in the process that saves or deletes a row of one of its models (and again when that
  transaction commits, so a value read from the old rows meanwhile does not stay), and
* in every other process within ``settings.REFERENCE_CACHE_SECONDS`` (30 s by default, the
  time an edit takes to reach every web process; 0 turns the caches off).

A write that sends no signal (``QuerySet.update``, ``bulk_create``) calls ``clear()`` itself.
Loaders return fresh objects; callers must not change what they get (copy it first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

_MISSING = object()
_registry: list[ReferenceCache] = []


class ReferenceCache:
    """One value (``get()``) or one value per key (``get(key)``), loaded on first use."""

    def __init__(self, name: str, load: Callable, *, models: tuple[str, ...]):
        self.name = name
        self._load = load
        self._lock = threading.Lock()
        self._generation = 0
        self._values: dict[Hashable, tuple[float, object]] = {}
        for model in models:  # "app_label.ModelName": resolved when the app registry is ready
            for signal in (post_save, post_delete):
                signal.connect(self._changed, sender=model, weak=False)
        self._models = models
        _registry.append(self)

    def get(self, key: Hashable = None):
        seconds = settings.REFERENCE_CACHE_SECONDS
        if seconds <= 0:
            return self._load() if key is None else self._load(key)
        now = time.monotonic()
        hit = self._values.get(key, _MISSING)
        if hit is not _MISSING and now - hit[0] < seconds:
            return hit[1]
        generation = self._generation
        value = self._load() if key is None else self._load(key)
        with self._lock:
            if generation == self._generation:  # not cleared while it was loading
                self._values[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._values = {}

    def _changed(self, **kwargs) -> None:
        self.clear()
        transaction.on_commit(self.clear, using=kwargs.get("using"))


def _m2m_changed(sender, **kwargs) -> None:
    label = kwargs["model"]._meta.label
    for cache in _registry:
        if label in cache._models or sender._meta.label in cache._models:
            cache._changed(**kwargs)


m2m_changed.connect(_m2m_changed, weak=False)


def clear_all() -> None:
    """Drop every reference cache of this process (tests; after a restore or a bulk load)."""
    for cache in _registry:
        cache.clear()
