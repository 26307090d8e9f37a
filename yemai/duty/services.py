"""Writes of field duty: patrols and their points, check-ins and their review, the grant that
lets someone see other people's whereabouts and biometrics, and erasure on request.

Every refusal is a ValidationError (400, nothing stored), a PermissionDenied (403) or an
Http404 (a row outside the caller's reach), raised before anything is written.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from dataclasses import asdict, dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.accounts.roles import ADMINISTRATORS, MANAGE_SECURITY
from yemai.core.audit import audit_record
from yemai.grids.geo import distance_m

from .choices import Review
from .models import CheckIn, Patrol, SensitiveGrant, TrackPoint, position_parse, position_text

MAX_POINTS_PER_BATCH = 1000
MAX_POINTS_PER_PATROL = 50_000
# A fix less precise than this still belongs to the track but is left out of its length:
# a phone indoors jumps by a hundred metres and would add walks that never happened.
LENGTH_MAX_ACCURACY_M = 100.0
CLOCK_SKEW = dt.timedelta(minutes=5)  # a phone's clock may run this far ahead
CHECKIN_MAX_AGE = dt.timedelta(hours=24)  # an offline start, end or check-in may arrive this late
CHECKIN_PHOTO_SIDE = 800  # enough for a person to recognise a face; small to store encrypted
MAX_KEY = 64


# --- who may do what -------------------------------------------------------------------------


def _require_field_user(user) -> None:
    """Patrols and check-ins are for grid staff with a grid, not for the three administrators."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Sign in first"))
    if user.role in ADMINISTRATORS or not user.role:
        raise PermissionDenied(_("Your role does not patrol or check in"))
    if user.scope_id is None:
        raise PermissionDenied(_("Your account has no grid: ask the administrator to set one"))


def require_security_admin(user) -> None:
    """Only the security administrator (安全管理员) grants whereabouts access and erases data."""
    if user is None or not user.is_active or user.role not in MANAGE_SECURITY:
        raise PermissionDenied(_("Only the security administrator may do this"))


def _user_in_scope(actor, *, username: str = "", pk: int | None = None):
    """An account inside the actor's scope; outside it, or unknown, it does not exist."""
    users = get_user_model().objects.restrict(actor)
    user = (
        users.filter(pk=pk).first() if pk is not None else users.filter(username=username).first()
    )
    if user is None:
        raise Http404
    return user


def _audit_actor(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# --- patrols ---------------------------------------------------------------------------------


def _key(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_KEY:
        raise ValidationError({field: [_("At most %(count)s characters") % {"count": MAX_KEY}]})
    return value


def _phone_time(value: dt.datetime | None, *, now: dt.datetime, field: str) -> dt.datetime:
    """A time the phone reports for something it did while offline: now by default, never in
    the future (beyond the clock skew), at most ``CHECKIN_MAX_AGE`` old."""
    if value is None:
        return now
    value = _aware(value)
    if value > now + CLOCK_SKEW:
        raise ValidationError({field: [_("recorded in the future: check the phone's clock")]})
    if value < now - CHECKIN_MAX_AGE:
        raise ValidationError({field: [_("A check-in must be sent within 24 hours")]})
    return min(value, now)


@transaction.atomic
def patrol_start(
    *,
    user,
    client_key: str = "",
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
):
    """Start a patrol in the member's grid; returns (patrol, created).

    A member has at most one open patrol: starting again returns it (a phone retrying "start"
    on a weak signal, or reopening the app, continues the same patrol). ``started_at`` is when
    the phone started it, for a start sent later from its offline queue."""
    _require_field_user(user)
    now = now or timezone.now()
    started_at = _phone_time(started_at, now=now, field="started_at")
    client_key = _key(client_key, "client_key")
    open_patrol = (
        Patrol.objects.select_for_update().filter(member_id=user.pk, ended_at__isnull=True).first()
    )
    if open_patrol is not None:
        return open_patrol, False
    if client_key:
        earlier = Patrol.objects.filter(member_id=user.pk, client_key=client_key).first()
        if earlier is not None:
            return earlier, False
    patrol = Patrol(
        member=user, grid_id=user.scope_id, client_key=client_key, started_at=started_at
    )
    patrol.full_clean()
    patrol.save()
    return patrol, True


@dataclass(frozen=True)
class PointIn:
    lon: float
    lat: float
    recorded_at: dt.datetime
    accuracy: float | None = None


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _check_points(points: list[PointIn], *, patrol: Patrol, now: dt.datetime) -> list[PointIn]:
    if not points:
        raise ValidationError({"points": [_("Send at least one point")]})
    if len(points) > MAX_POINTS_PER_BATCH:
        raise ValidationError(
            {
                "points": [
                    _("At most %(count)s points in one batch") % {"count": MAX_POINTS_PER_BATCH}
                ]
            }
        )
    earliest = patrol.started_at - CLOCK_SKEW
    latest = now + CLOCK_SKEW
    checked = []
    for index, point in enumerate(points, start=1):
        lon, lat, accuracy = point.lon, point.lat, point.accuracy
        problem = None
        if not (isinstance(lon, int | float) and math.isfinite(lon) and -180 <= lon <= 180):
            problem = _("longitude must be between -180 and 180")
        elif not (isinstance(lat, int | float) and math.isfinite(lat) and -90 <= lat <= 90):
            problem = _("latitude must be between -90 and 90")
        elif accuracy is not None and not (math.isfinite(accuracy) and 0 <= accuracy <= 100_000):
            problem = _("accuracy must be between 0 and 100000 metres")
        else:
            at = _aware(point.recorded_at)
            if at > latest:
                problem = _("recorded in the future: check the phone's clock")
            elif at < earliest:
                problem = _("recorded before the patrol started")
        if problem:
            raise ValidationError(
                {"points": [_("Point %(n)s: %(problem)s") % {"n": index, "problem": problem}]}
            )
        checked.append(PointIn(float(lon), float(lat), at, accuracy))
    return checked


def track_length_m(fixes, *, total: float = 0.0, previous: tuple | None = None) -> float:
    """Length in metres of a track given as (lon, lat, accuracy) in time order; fixes less
    precise than ``LENGTH_MAX_ACCURACY_M`` are skipped. ``total`` and ``previous`` (the last
    fix counted) continue a track already measured."""
    for lon, lat, accuracy in fixes:
        if accuracy is not None and accuracy > LENGTH_MAX_ACCURACY_M:
            continue
        if previous is not None:
            total += distance_m(previous[0], previous[1], lon, lat)
        previous = (lon, lat)
    return total


@dataclass
class PointsAdded:
    added: int
    duplicates: int


@transaction.atomic
def patrol_points_add(
    *, user, patrol_id: int, points: list[PointIn], now: dt.datetime | None = None
) -> tuple[Patrol, PointsAdded]:
    """Add a batch of fixes to the caller's own open patrol.

    Idempotent: a point whose time the patrol already holds is skipped, so a batch sent twice
    adds nothing the second time. The whole batch is checked first; one bad point refuses it
    all (nothing stored). The length is computed again over the whole track, so batches may
    arrive out of order."""
    now = now or timezone.now()
    patrol = Patrol.objects.select_for_update().filter(pk=patrol_id, member_id=user.pk).first()
    if patrol is None:
        raise Http404
    if patrol.ended_at is not None:
        raise ValidationError({"patrol": [_("This patrol has ended: start a new one")]})
    checked = _check_points(points, patrol=patrol, now=now)
    fresh: dict[dt.datetime, PointIn] = {}
    for point in checked:
        fresh.setdefault(point.recorded_at, point)
    known = set(
        TrackPoint.objects.filter(patrol=patrol, recorded_at__in=list(fresh)).values_list(
            "recorded_at", flat=True
        )
    )
    new = [p for at, p in fresh.items() if at not in known]
    if patrol.point_count + len(new) > MAX_POINTS_PER_PATROL:
        raise ValidationError(
            {
                "points": [
                    _("A patrol holds at most %(count)s points: end it and start another")
                    % {"count": MAX_POINTS_PER_PATROL}
                ]
            }
        )
    stored = TrackPoint.objects.filter(patrol=patrol).order_by("-recorded_at", "-id")
    last_at = stored.values_list("recorded_at", flat=True).first()
    TrackPoint.objects.bulk_create(
        TrackPoint(
            patrol=patrol,
            position=position_text(p.lon, p.lat, p.accuracy),
            recorded_at=p.recorded_at,
        )
        for p in new
    )
    if new:
        new.sort(key=lambda p: p.recorded_at)
        if last_at is None:
            _patrol_extend(patrol, new, stored_before=None)
        elif new[0].recorded_at > last_at:
            _patrol_extend(patrol, new, stored_before=stored.filter(recorded_at__lte=last_at))
        else:  # a late batch fills a gap: measure the whole track again
            _patrol_measure(patrol)
    return patrol, PointsAdded(added=len(new), duplicates=len(checked) - len(new))


def _patrol_measure(patrol: Patrol) -> None:
    fixes = TrackPoint.objects.filter(patrol=patrol).order_by("recorded_at", "id")
    rows = [position_parse(text) for text in fixes.values_list("position", flat=True)]
    patrol.length_m = track_length_m(rows)
    patrol.point_count = len(rows)
    patrol.save(update_fields=["length_m", "point_count"])


def _patrol_extend(patrol: Patrol, new: list, *, stored_before) -> None:
    """Add a batch that comes after every stored fix (the usual case) to the length: the same
    running sum as ``_patrol_measure``, continued, with only the last counted fix decrypted
    instead of the whole track."""
    previous = None
    if stored_before is not None:
        for text in stored_before.values_list("position", flat=True).iterator(chunk_size=50):
            lon, lat, accuracy = position_parse(text)
            if accuracy is None or accuracy <= LENGTH_MAX_ACCURACY_M:
                previous = (lon, lat)
                break
    patrol.length_m = track_length_m(
        [(p.lon, p.lat, p.accuracy) for p in new], total=patrol.length_m, previous=previous
    )
    patrol.point_count += len(new)
    patrol.save(update_fields=["length_m", "point_count"])


@transaction.atomic
def patrol_end(
    *,
    user,
    patrol_id: int,
    ended_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Patrol:
    """End the caller's own patrol (at ``ended_at``, when the phone ended it offline); points
    sent afterwards are refused."""
    now = now or timezone.now()
    patrol = Patrol.objects.select_for_update().filter(pk=patrol_id, member_id=user.pk).first()
    if patrol is None:
        raise Http404
    if patrol.ended_at is not None:
        raise ValidationError({"patrol": [_("This patrol has already ended")]})
    ended_at = _phone_time(ended_at, now=now, field="ended_at")
    patrol.ended_at = max(ended_at, patrol.started_at)
    patrol.save(update_fields=["ended_at"])
    return patrol


# --- check-ins -------------------------------------------------------------------------------


def selfie_clean(data: bytes) -> tuple[bytes, int, int]:
    """Check ``data`` by content (the case photos' check) and return a JPEG of at most
    ``CHECKIN_PHOTO_SIDE`` pixels with no metadata at all (no EXIF, no GPS), and its size."""
    from PIL import Image

    from yemai.cases.evidence import decode

    decoded = decode(data, label=_("The photo"))
    picture = Image.open(io.BytesIO(decoded.public))
    picture.load()
    picture.thumbnail((CHECKIN_PHOTO_SIDE, CHECKIN_PHOTO_SIDE), Image.Resampling.LANCZOS)
    # A fresh image holds the pixels and nothing else.
    clean = Image.new("RGB", picture.size)
    clean.paste(picture)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue(), clean.width, clean.height


@transaction.atomic
def checkin_create(
    *,
    user,
    lon: float,
    lat: float,
    photo,
    accuracy: float | None = None,
    at: dt.datetime | None = None,
    client_key: str = "",
    now: dt.datetime | None = None,
) -> tuple[CheckIn, bool]:
    """Record a field attendance check-in with a selfie; returns (check-in, created).

    The selfie is checked by content, re-encoded without metadata and stored encrypted; a
    person reviews it later (no face matching). The same ``client_key`` sent again returns the
    check-in stored the first time."""
    _require_field_user(user)
    now = now or timezone.now()
    client_key = _key(client_key, "client_key")
    if client_key:
        earlier = (
            CheckIn.objects.defer("photo").filter(member_id=user.pk, client_key=client_key).first()
        )
        if earlier is not None:
            return earlier, False
    errors = {}
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        errors["lon"] = [_("longitude must be between -180 and 180")]
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        errors["lat"] = [_("latitude must be between -90 and 90")]
    if accuracy is not None and not (math.isfinite(accuracy) and 0 <= accuracy <= 100_000):
        errors["accuracy"] = [_("accuracy must be between 0 and 100000 metres")]
    if errors:
        raise ValidationError(errors)
    at = _phone_time(at, now=now, field="at")
    from yemai.cases.evidence import read_limited

    jpeg, width, height = selfie_clean(read_limited(photo, label=_("The photo")))
    checkin = CheckIn(
        member=user,
        grid_id=user.scope_id,
        client_key=client_key,
        at=at,
        position=position_text(lon, lat, accuracy),
        photo=base64.b64encode(jpeg).decode(),
        photo_width=width,
        photo_height=height,
    )
    checkin.full_clean()
    checkin.save()
    return checkin, True


def checkin_photo_bytes(*, checkin: CheckIn) -> bytes:
    """The selfie as JPEG bytes (the caller checked access and audits the view)."""
    if not checkin.has_photo or not checkin.photo:
        raise Http404
    return base64.b64decode(checkin.photo)


@transaction.atomic
def checkin_review(
    *, user, checkin: CheckIn, outcome: str, note: str = "", only_pending: bool = False
) -> CheckIn:
    """A person's verdict on a check-in (the face in the selfie is the member's, at that
    place). Needs the grant; nobody reviews their own. A verdict may be changed later, except
    with ``only_pending`` (the review page, which lists pending check-ins): then one reviewed
    by someone else meanwhile is refused, naming who, rather than overwritten unseen."""
    from .selectors import sensitive_grant_require

    if checkin.member_id == user.pk:
        raise PermissionDenied(_("Nobody reviews their own check-in"))
    sensitive_grant_require(user=user)
    if outcome not in {Review.ACCEPTED, Review.REJECTED}:
        raise ValidationError({"outcome": [_("Outcome must be accepted or rejected")]})
    if len(note) > 200:
        raise ValidationError({"note": [_("At most %(count)s characters") % {"count": 200}]})
    rows = CheckIn.objects.filter(pk=checkin.pk)
    if only_pending:
        rows = rows.filter(review=Review.PENDING)
    if not rows.update(
        review=outcome, review_note=note, reviewed_by=user, reviewed_at=timezone.now()
    ):
        done = CheckIn.objects.select_related("reviewed_by").get(pk=checkin.pk)
        raise ValidationError(
            {
                "outcome": [
                    _("%(who)s reviewed this check-in at %(time)s (%(verdict)s) meanwhile")
                    % {
                        "who": done.reviewed_by or "—",
                        "time": timezone.localtime(done.reviewed_at).strftime("%H:%M")
                        if done.reviewed_at
                        else "—",
                        "verdict": Review(done.review).label,
                    }
                ]
            }
        )
    audit_record(user=user, kind="change", obj=checkin, detail={"review": outcome})
    checkin.refresh_from_db(fields=["review", "review_note", "reviewed_by", "reviewed_at"])
    return checkin


def checkin_pending_view_record(*, user, checkins) -> None:
    """Audit one look at a list of other people's check-ins (who, when, where; not the
    selfies, each of which is audited when shown): one ``view_pii`` record naming them."""
    others = [c for c in checkins if c.member_id != user.pk]
    if not others:
        return
    audit_record(
        user=user,
        kind="view_pii",
        object_type="duty.checkin",
        detail={
            "what": "checkin_pending",
            "checkins": [c.pk for c in others],
            "members": sorted({c.member_id for c in others}),
        },
    )


# --- the grant and its use -------------------------------------------------------------------


def sensitive_view_record(*, user, obj, what: str) -> None:
    """Audit one view of another person's track or selfie (a member's own views are not)."""
    member_id = getattr(obj, "member_id", None)
    if member_id == user.pk:
        return
    audit_record(user=user, kind="view_pii", obj=obj, detail={"what": what, "member": member_id})


@transaction.atomic
def sensitive_grant(*, actor, user_id: int, reason: str) -> tuple[SensitiveGrant, bool]:
    """Let ``user_id`` see other people's tracks and selfies inside their scope; returns
    (grant, created). Only the security administrator, for an account in their scope, never
    for themselves or another administrator; a reason is required."""
    require_security_admin(actor)
    user = _user_in_scope(actor, pk=user_id)
    reason = (reason or "").strip()
    if user.pk == actor.pk:
        raise PermissionDenied(_("Nobody grants this to themselves"))
    if user.role in ADMINISTRATORS or not user.role or not user.is_active:
        raise ValidationError(
            {"user": [_("Only active grid staff can hold this grant, not administrators")]}
        )
    if not reason:
        raise ValidationError({"reason": [_("Say why this person needs to see whereabouts")]})
    existing = SensitiveGrant.objects.filter(user=user).first()
    if existing is not None:
        return existing, False
    grant = SensitiveGrant(user=user, granted_by=actor, reason=reason[:200])
    grant.full_clean()
    grant.save()
    audit_record(
        user=actor,
        kind="permission",
        obj=user,
        detail={"sensitive_grant": "granted", "reason": grant.reason},
    )
    return grant, True


@transaction.atomic
def sensitive_revoke(*, actor, user_id: int) -> None:
    """Take the grant away (security administrator only); audited."""
    require_security_admin(actor)
    user = _user_in_scope(actor, pk=user_id)
    deleted, _detail = SensitiveGrant.objects.filter(user=user).delete()
    if not deleted:
        raise Http404
    audit_record(user=actor, kind="permission", obj=user, detail={"sensitive_grant": "revoked"})


# --- erasure on request (删除权, PIPL Art. 47) ------------------------------------------------


@dataclass
class Erased:
    patrols: int = 0
    points: int = 0
    checkins: int = 0
    photos: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@transaction.atomic
def sensitive_erase(*, actor, username: str, via: str = "api") -> Erased:
    """Delete every patrol, track point and check-in (selfies included) of one person.

    ``actor`` is the security administrator handling the request (the account must be in
    their scope), or None for the operator's command line. Audited with the counts."""
    if actor is not None:
        require_security_admin(actor)
        user = _user_in_scope(actor, username=username)
    else:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ValidationError({"user": [_("No account named %(name)s") % {"name": username}]})
    counts = Erased(
        points=TrackPoint.objects.filter(patrol__member=user).count(),
        photos=CheckIn.objects.filter(member=user, photo_removed_at__isnull=True)
        .exclude(photo_width__isnull=True)
        .count(),
    )
    TrackPoint.objects.filter(patrol__member=user).delete()
    counts.patrols, _detail = Patrol.objects.filter(member=user).delete()
    counts.checkins, _detail = CheckIn.objects.filter(member=user).delete()
    audit_record(
        user=_audit_actor(actor),
        kind="delete",
        obj=user,
        detail={"sensitive_erase": counts.as_dict(), "via": via},
    )
    return counts
