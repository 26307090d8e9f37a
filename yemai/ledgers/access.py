"""Who may keep the ledgers, and where: the role check and the scope check every write makes.

``user=None`` is the unrestricted set-up context (demo data, the command line). ``SYSTEM`` is a
stand-in user for reads in that context, so the other domains' selectors (which all take a
user) see everything.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from yemai.grids import selectors as grid_selectors

SYSTEM = SimpleNamespace(
    is_authenticated=True,
    is_active=True,
    is_unrestricted=True,
    is_superuser=True,
    scope=None,
    scope_id=None,
    granted_tags=[],
    can_manage_people=True,
    can_reveal_pii=True,
    username="system",
    pk=None,
)


def reader(user):
    """The user reads go through: ``SYSTEM`` for the set-up context."""
    return SYSTEM if user is None else user


def audit_user(user):
    return None if user is None or user is SYSTEM else user


def require_keep(user) -> None:
    """Refuse a user whose role may not keep ledgers (403 in the API)."""
    if user is None or user is SYSTEM:
        return
    if not getattr(user, "can_manage_people", False):
        raise PermissionDenied(_("Your role may not change the ledgers"))


def in_scope(user, grid) -> bool:
    if user is None or getattr(user, "is_unrestricted", False):
        return True
    scope = getattr(user, "scope", None)
    return scope is not None and grid.path.startswith(scope.path)


def node_by_code(user, code, *, field: str = "grid"):
    """A grid node by code inside the user's scope; unknown and outside read alike."""
    from django.http import Http404

    code = str(code or "").strip()
    if not code:
        raise ValidationError({field: [_("A grid code is required")]})
    try:
        return grid_selectors.grid_node_get(user=reader(user), code=code)
    except Http404:
        raise ValidationError(
            {field: [_("No grid with code %(code)s in your scope") % {"code": code}]}
        ) from None
