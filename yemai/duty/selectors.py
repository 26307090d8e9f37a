"""Reads of field duty: a member's own patrols and check-ins, and others' only with a grant.

Two gates stand before another person's track or selfie, and both must open:

* the viewer holds a ``SensitiveGrant`` (no role implies one; not even ``REVEAL_PII``);
* the row is inside the viewer's grid scope (``restrict``). Outside it the row does not
  exist (404), whether or not the viewer holds a grant.

A viewer without a grant is refused (403) only for rows in their scope; the caller audits each
view of another person's data (``services.sensitive_view_record``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from yemai.accounts.roles import ADMINISTRATORS

from .models import CheckIn, Patrol, SensitiveGrant, TrackPoint


def sensitive_grant_holds(*, user) -> bool:
    """Whether ``user`` may see other people's tracks and selfies (inside their scope)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    # An administrator (三员) never looks at whereabouts, even with a grant left from an
    # earlier role; nor does an account without a role (the set-up superuser).
    if user.role in ADMINISTRATORS or not user.role:
        return False
    return SensitiveGrant.objects.filter(user_id=user.pk).exists()


def sensitive_grant_require(*, user) -> None:
    """PermissionDenied unless ``user`` holds the grant (``sensitive_grant_holds``)."""
    if not sensitive_grant_holds(user=user):
        raise PermissionDenied(
            _("Seeing other people's tracks and check-in photos needs a separate grant")
        )


def _check_other(user, member_id: int | None) -> None:
    if member_id is not None and member_id != user.pk:
        sensitive_grant_require(user=user)


def patrol_list(*, user, member_id: int | None = None):
    """The caller's own patrols, or (with a grant) those of ``member_id`` in the scope."""
    if member_id is None or member_id == user.pk:
        return Patrol.objects.filter(member_id=user.pk).select_related("member", "grid")
    _check_other(user, member_id)
    return (
        Patrol.objects.restrict(user).filter(member_id=member_id).select_related("member", "grid")
    )


def patrol_get(*, user, pk: int) -> Patrol:
    """One patrol: the caller's own, or (with a grant) one in the caller's scope."""
    own = Patrol.objects.filter(pk=pk, member_id=user.pk).select_related("member", "grid").first()
    if own is not None:
        return own
    patrol = Patrol.objects.restrict(user).filter(pk=pk).select_related("member", "grid").first()
    if patrol is None:
        raise Http404
    _check_other(user, patrol.member_id)
    return patrol


def patrol_own_get(*, user, pk: int) -> Patrol:
    """A patrol of the caller's own, for writing; anyone else's does not exist (404)."""
    patrol = Patrol.objects.filter(pk=pk, member_id=user.pk).first()
    if patrol is None:
        raise Http404
    return patrol


def patrol_open_get(*, user) -> Patrol | None:
    return Patrol.objects.filter(member_id=user.pk, ended_at__isnull=True).first()


def track_points(*, patrol: Patrol):
    """The fixes of a patrol in the order they were taken (the caller checked access)."""
    return TrackPoint.objects.filter(patrol=patrol).order_by("recorded_at", "id")


def checkin_list(*, user, member_id: int | None = None):
    """Check-ins (without the selfie): the caller's own, or (with a grant) ``member_id``'s."""
    if member_id is None or member_id == user.pk:
        queryset = CheckIn.objects.filter(member_id=user.pk)
    else:
        _check_other(user, member_id)
        queryset = CheckIn.objects.restrict(user).filter(member_id=member_id)
    return queryset.defer("photo").select_related("member", "grid")


def checkin_get(*, user, pk: int, with_photo: bool = False) -> CheckIn:
    """One check-in: the caller's own, or (with a grant) one in the caller's scope."""
    queryset = CheckIn.objects.select_related("member", "grid")
    if not with_photo:
        queryset = queryset.defer("photo")
    own = queryset.filter(pk=pk, member_id=user.pk).first()
    if own is not None:
        return own
    checkin = queryset.restrict(user).filter(pk=pk).first()
    if checkin is None:
        raise Http404
    _check_other(user, checkin.member_id)
    return checkin


def checkin_pending_list(*, user):
    """Check-ins in the caller's scope waiting for a person's review (needs a grant)."""
    sensitive_grant_require(user=user)
    return (
        CheckIn.objects.restrict(user)
        .filter(review="pending")
        .exclude(member_id=user.pk)
        .defer("photo")
        .select_related("member", "grid")
    )


def sensitive_grant_list(*, user):
    """The grants a security administrator can see: those of users in their scope."""
    from .services import require_security_admin

    require_security_admin(user)
    queryset = SensitiveGrant.objects.select_related("user", "granted_by")
    if getattr(user, "is_unrestricted", False):
        return queryset
    if user.scope is None:
        return queryset.none()
    return queryset.filter(user__scope__path__startswith=user.scope.path)


def checkin_places(*, user, checkins) -> list:
    """Where each check-in was, as the micro-grid it lies in (or the nearest within reach):
    a ``grids.locator.Hit`` or None, one per check-in. A grid outside ``user``'s scope is
    None, never its name (``grids.selectors.grid_locate_many``)."""
    from yemai.grids import selectors as grid_selectors

    checkins = list(checkins)
    if not checkins:
        return []
    return grid_selectors.grid_locate_many(
        user=user, lons=[c.lon for c in checkins], lats=[c.lat for c in checkins]
    )


def sensitive_grant_candidates(*, user):
    """The accounts a security administrator may give the grant to: active grid staff in
    their scope who do not hold it, not themselves, not an administrator."""
    from django.contrib.auth import get_user_model

    from .services import require_security_admin

    require_security_admin(user)
    return (
        get_user_model()
        .objects.restrict(user)
        .filter(is_active=True)
        .exclude(role="")
        .exclude(role__in=ADMINISTRATORS)
        .exclude(pk=user.pk)
        .exclude(sensitive_grant__isnull=False)
        .select_related("scope")
        .order_by("username")
    )
