"""Each domain adds its own demo rows (cases, ledgers, camera zones …) after the town is loaded.

A domain app that wants demo data has a module ``yemai/<app>/demo.py`` with a function::

    def demo_populate(*, plan, loaded, seed: int, progress: bool) -> dict[str, int]:
        '''Write this domain's demo rows; return what was made, e.g. {"cases": 420}.'''

``plan`` is the ``TownPlan``, ``loaded`` the ``Loaded`` nodes and members. It runs inside the
demo's transaction, in the order of ``INSTALLED_APPS``, after the demo logins exist (so rows can
name demo users). The core demo does not import any domain's models for this: the domain owns
its demo rows as it owns its tables.
"""

from __future__ import annotations

import importlib
import importlib.util

from django.apps import apps


def demo_extensions() -> list:
    """The ``demo_populate`` functions of the installed Yemai apps, in ``INSTALLED_APPS`` order."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("yemai.") or config.name == "yemai.core":
            continue
        module_name = f"{config.name}.demo"
        if importlib.util.find_spec(module_name) is None:
            continue
        populate = getattr(importlib.import_module(module_name), "demo_populate", None)
        if populate is not None:
            found.append(populate)
    return found


def demo_extensions_run(*, plan, loaded, seed: int, progress: bool) -> dict[str, int]:
    """Run every app's ``demo_populate``; the counts they return, merged."""
    counts: dict[str, int] = {}
    for populate in demo_extensions():
        counts.update(populate(plan=plan, loaded=loaded, seed=seed, progress=progress) or {})
    return counts
