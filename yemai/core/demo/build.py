"""``demo_load``: plan the synthetic town and write it, with its demo logins, in one go."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .extensions import demo_extensions_run
from .loader import has_grids, load_town, reset_demo_data
from .logins import Login, demo_logins_create
from .plan import TownPlan, plan_town


class DemoRefused(Exception):
    """The database is not one the demo may write to."""


@dataclass
class DemoResult:
    plan: TownPlan
    seconds: float
    logins: list[Login] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)  # what the domains' demo_populate made

    def counts(self) -> dict[str, int]:
        p = self.plan
        return {
            "villages and communities": len(p.villages),
            "micro-grids": len(p.micro_grids),
            "team members": len(p.members),
            "service points": len(p.service_points),
            "departments": len(p.departments),
            "cameras": len(p.cameras),
            "organisations": len(p.organisations),
            "houses": len(p.houses),
            "households": len(p.households),
            "residents": len(p.people),
            **self.extra,
        }


def demo_load(
    *, seed: int = 1, scale: float = 1.0, reset: bool = False, progress: bool = True
) -> DemoResult:
    """Generate the demo town into the database.

    Refuses a database that already has grids unless ``reset``; ``reset`` itself is refused
    unless ``settings.DEMO`` is on (it deletes every grid, user and resident). Demo logins are
    created only with ``settings.DEMO``. All of it happens in one transaction.
    """
    if reset and not settings.DEMO:
        raise DemoRefused(
            _("--reset deletes every grid, user and resident: it runs only with YEMAI_DEMO=1")
        )
    if not 0 < scale <= 2:
        raise DemoRefused(_("--scale must be more than 0 and at most 2"))
    started = time.perf_counter()
    with transaction.atomic():
        if has_grids():
            if not reset:
                raise DemoRefused(
                    _(
                        "This database already has grids: the demo town goes only into an "
                        "empty database (or use --reset with YEMAI_DEMO=1 to start over)"
                    )
                )
            reset_demo_data()
        plan = plan_town(seed=seed, scale=scale, county=settings.GRID_COUNTY_CODE)
        loaded = load_town(plan, progress=progress)
        logins = demo_logins_create(plan=plan, loaded=loaded) if settings.DEMO else []
        extra = demo_extensions_run(plan=plan, loaded=loaded, seed=seed, progress=progress)
    return DemoResult(plan=plan, seconds=time.perf_counter() - started, logins=logins, extra=extra)
