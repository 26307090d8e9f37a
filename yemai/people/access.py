"""Who may write where: the role check and the scope check every people service makes.

``user=None`` is the unrestricted set-up context (demo data, tests, the command line without
``--as``); any real user must hold ``can_manage_people`` and may only touch micro-grids inside
their scope.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from yemai.grids.choices import Level
from yemai.grids.models import GridNode


class _Keep:
    """Marks an argument of an ``*_update`` service that was not given: keep the old value."""

    def __repr__(self):
        return "KEEP"


KEEP = _Keep()


def require_manage(user) -> None:
    """Refuse a user whose role may not change the registry (403 in the API)."""
    if user is None:
        return
    if not getattr(user, "can_manage_people", False):
        raise PermissionDenied(_("Your role may not change the people registry"))


def grid_in_scope(user, grid: GridNode) -> bool:
    if user is None or getattr(user, "is_unrestricted", False):
        return True
    scope = getattr(user, "scope", None)
    return scope is not None and grid.path.startswith(scope.path)


def grid_check(user, grid: GridNode | None, *, field: str = "grid") -> GridNode:
    """The grid must be a micro-grid inside the user's scope."""
    if grid is None:
        raise ValidationError({field: [_("A micro-grid is required")]})
    if grid.level != Level.MICRO:
        raise ValidationError({field: [_("%(name)s is not a micro-grid") % {"name": grid.name}]})
    if not grid_in_scope(user, grid):
        raise ValidationError(
            {field: [_("Micro-grid %(code)s is outside your scope") % {"code": grid.code}]}
        )
    return grid


def grid_by_code(user, code: str, *, field: str = "grid") -> GridNode:
    """Resolve a micro-grid code; an unknown code and one outside the scope read alike."""
    code = str(code or "").strip()
    grid = GridNode.objects.filter(code=code, level=Level.MICRO).first() if code else None
    if grid is None or not grid_in_scope(user, grid):
        raise ValidationError(
            {field: [_("No micro-grid with code %(code)s in your scope") % {"code": code}]}
        )
    return grid


def visible_or_error(user, queryset, obj, *, field: str):
    """A row the user links to (house, household, landlord) must be one they can see."""
    if obj is None or user is None or getattr(user, "is_unrestricted", False):
        return obj
    if not queryset.restrict(user).filter(pk=obj.pk).exists():
        raise ValidationError({field: [_("Not found in your scope")]})
    return obj


class SetupUser:
    """The unrestricted set-up context of the command line without ``--as``.

    It passes ``restrict`` (sees everything) and every role check; audit rows name no user.
    """

    is_authenticated = True
    is_active = True
    is_superuser = True
    is_unrestricted = True
    can_reveal_pii = True
    can_manage_people = True
    granted_tags: list[str] = []
    scope = None
    scope_id = None
    pk = None
    username = "(setup)"

    def __str__(self):
        return self.username


def audit_user(user):
    """The user an audit row may point to: a real account, else None (set-up context)."""
    from django.contrib.auth import get_user_model

    return user if isinstance(user, get_user_model()) else None
