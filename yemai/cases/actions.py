"""Staff actions on cases, as the API and the admin take them: parse what each action needs
(whom to dispatch to, which department, which reason …), check it against the case and the
user's scope, then go through the one door (``workflow.case_transition``).

Also a staff member's own report (``case_report_as``): the source follows from the role, and
the place must lie in the reporter's scope.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from yemai.accounts.roles import Role
from yemai.grids.choices import Level
from yemai.grids.models import Department, TeamMember

from . import workflow
from .choices import Action, PhotoKind, RejectReason, Source, State
from .models import Case
from .services import _check_point, case_report

S = State
MAX_NOTE = 2000

# Who may report a case themselves, and the source their report gets by default. The centre
# (and a machine client, which signs in as a centre operator) may name any source: camera,
# hotline, a department's referral, a resident's phone call.
REPORTER_ROLES = {
    Role.MEMBER: Source.PATROL,
    Role.MICRO_LEADER: Source.PATROL,
    Role.VILLAGE_HEAD: Source.PATROL,
    Role.TOWN_HEAD: Source.STAFF,
    Role.CENTRE_OPERATOR: Source.STAFF,
}
ANY_SOURCE_ROLES = {Role.TOWN_HEAD, Role.CENTRE_OPERATOR}


def may_report(user) -> bool:
    return bool(user.is_active and (user.role in REPORTER_ROLES or user.is_unrestricted))


def report_source(user, requested: str | None) -> str:
    """The source of a staff report: the role's own, or (centre only) the one asked for."""
    default = REPORTER_ROLES.get(user.role, Source.STAFF)
    if not requested or requested == default:
        return default
    if requested not in Source.values:
        raise ValidationError(
            {"source": [_("Unknown source %(source)s") % {"source": requested[:20]}]}
        )
    if user.role in ANY_SOURCE_ROLES or user.is_unrestricted:
        return requested
    raise ValidationError(
        {
            "source": [
                _("Your reports are recorded as %(source)s") % {"source": Source(default).label}
            ]
        }
    )


def case_report_as(
    *,
    user,
    category,
    description: str,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    source: str | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    idempotency_key: str | None = None,
) -> tuple[Case, bool]:
    """A report by a signed-in user or machine client → (case, created).

    A camera's report that repeats an open camera case nearby is merged into it at once
    (``duplicates.case_report_deduplicated``). The idempotency key is kept per user, so two clients cannot collide (or see each other's
    case through a guessed key). A place that falls outside the reporter's scope is refused:
    the reporter could not follow the case they made (tell the centre instead).
    """
    if not may_report(user):
        raise PermissionDenied(_("Your role may not report cases"))
    source = report_source(user, source)
    key = f"{user.pk}:{idempotency_key}"[:200] if idempotency_key else None
    intake = case_report
    if source == Source.CAMERA:
        intake = _camera_intake  # camera detections of the same thing are merged at once
    # The place is checked against the scope before anything is written (scope_user).
    return intake(
        source=source,
        category=category,
        description=description,
        lon=lon,
        lat=lat,
        crs=crs,
        address=address,
        reporter=user,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        idempotency_key=key,
        scope_user=user,
    )


def _camera_intake(**report) -> tuple[Case, bool]:
    """A camera's report; when it repeats an open camera case nearby it is merged into it at
    once. Answers the case this detection made (rejected, ``merged_into`` the original, when
    it was a repeat), so that a retry with the same key answers the same case."""
    from .duplicates import case_report_deduplicated

    with transaction.atomic():  # the detection and its merge land together
        result = case_report_deduplicated(**report)
    return (result.duplicate or result.case), result.created


# --- actions ----------------------------------------------------------------------------------


def _check_allowed(case: Case, action: str, actor) -> None:
    """The workflow's own refusal, raised before any parameter is looked at (a member who may
    not dispatch learns that, not that the assignee is wrong)."""
    if action not in workflow.TRANSITIONS:
        raise ValidationError(
            {"action": [_("Unknown action %(action)s") % {"action": action[:30]}]}
        )
    reason = workflow._refusal(case, action, workflow.as_actor(actor))
    if reason is None:
        return
    if case.state not in workflow.TRANSITIONS[action].sources:
        raise ValidationError({"action": [reason]})
    raise PermissionDenied(reason)


def _assignee(case: Case, user, assignee_id) -> tuple[object, dict]:
    from yemai.accounts.models import User

    bad = ValidationError({"assignee": [_("No member with this id works in your scope")]})
    try:
        assignee_id = int(assignee_id)
    except (TypeError, ValueError):
        raise bad from None
    person = (
        User.objects.restrict(user)
        .select_related("scope")
        .filter(pk=assignee_id, is_active=True, role__in=workflow.FIELD)
        .first()
    )
    if person is None or person.scope_id is None:
        raise bad
    changes = {"assignee": person}
    if case.grid.level == Level.MICRO:
        if not person.scope.path.startswith(case.grid.path):
            raise ValidationError(
                {"assignee": [_("This member works in another grid than the case")]}
            )
    elif person.scope.path.startswith(case.grid.path):
        # A case from the queue (outside every micro-grid) goes to the member's micro-grid,
        # so the member (and their leader) can see it.
        changes["grid"] = person.scope
    else:
        raise ValidationError({"assignee": [_("This member works outside the case's area")]})
    return person, changes


def _department(case: Case, department_id) -> Department:
    bad = ValidationError({"department": [_("No department with this id serves this case")]})
    try:
        department_id = int(department_id)
    except (TypeError, ValueError):
        raise bad from None
    department = Department.objects.select_related("grid").filter(pk=department_id).first()
    if department is None or not case.grid.path.startswith(department.grid.path):
        raise bad
    return department


def _participants(case: Case, ids: Iterable) -> list[TeamMember]:
    try:
        ids = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        raise ValidationError(
            {"participants": [_("Name the team members who joined the consultation")]}
        )
    members = list(TeamMember.objects.filter(pk__in=ids, team__grid=case.grid).order_by("pk"))
    if len(members) != len(ids):
        raise ValidationError(
            {"participants": [_("Every participant must be a team member of this micro-grid")]}
        )
    return members


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: [_("This field is required")]})
    if len(value) > limit:
        raise ValidationError({field: [_("At most %(n)s characters") % {"n": limit}]})
    return value


@transaction.atomic
def case_act(
    *,
    case: Case,
    action: str,
    actor,
    note: str = "",
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    assignee: int | None = None,
    department: int | None = None,
    reason: str = "",
    participants: Iterable = (),
    into: int | None = None,
    hours: float | None = None,
    score: int | None = None,
    fixed: str = "",
) -> Case:
    """Take ``action`` on ``case`` as ``actor`` (a user) with the action's own parameters;
    returns the case as it now is.

    - dispatch: ``assignee`` (a user id in the actor's scope, working in the case's grid);
    - refer: ``department`` (a department of the case's town);
    - reject: ``reason`` (invalid, out_of_scope, duplicate); park: ``reason`` (text);
    - consult: ``participants`` (team member ids of the case's micro-grid);
    - send_back: back to ``registered`` (assignee cleared) from dispatched/accepted, back to
      ``escalated`` (department cleared) from referred;
    - merge: ``into`` (the id of the open case it repeats);
    - request_extension: ``hours`` and ``reason``; approve_extension: ``hours`` (default: as
      asked);
    - follow_up (回访): ``score`` 1–5 and ``fixed`` (yes, no, unknown), the note as comment.
    """
    from . import duplicates, extensions, rating

    user = actor
    case = Case.objects.select_for_update().select_related("grid", "category").get(pk=case.pk)
    if not Case.objects.restrict(user).filter(pk=case.pk).exists():
        raise Http404
    _check_allowed(case, action, user)
    note = _text(note, "note", MAX_NOTE, required=action == Action.COMMENT)
    if lon is not None or lat is not None:
        lon, lat = _check_point(lon, lat, crs or "wgs84")

    # Steps with rules of their own live in their stage's module.
    if action == Action.MERGE:
        duplicates.case_merge(
            case=case, into=_merge_target(case, user, into), actor=user, note=note
        )
        return _reload(case)
    if action == Action.PARK:
        return extensions.case_park(case=case, actor=user, reason=reason or note)
    if action == Action.UNPARK:
        return extensions.case_unpark(case=case, actor=user, note=note)
    if action == Action.REQUEST_EXTENSION:
        extensions.extension_request(case=case, actor=user, hours=hours, reason=reason or note)
        return _reload(case)
    if action == Action.APPROVE_EXTENSION:
        return extensions.extension_approve(case=case, actor=user, hours=hours, note=note)
    if action == Action.FOLLOW_UP:
        rating.follow_up_record(case=case, user=user, score=score, fixed=fixed, comment=note)
        return _reload(case)

    changes: dict = {}
    data: dict = {}
    target = None
    if action == Action.DISPATCH:
        person, changes = _assignee(case, user, assignee)
        data["assignee"] = person.pk
    elif action == Action.REFER:
        changes["department"] = _department(case, department)
        data["department"] = changes["department"].pk
    elif action == Action.VERIFY and case.category.after_photo_required:
        # 反馈 comes with after-photos: the leader verifies what they can see.
        if not case.photos.filter(kind=PhotoKind.AFTER).exists():
            raise ValidationError(
                {"photos": [_("Add a photo of the place after handling before verifying")]}
            )
    elif action == Action.REJECT:
        if reason not in RejectReason.values:
            raise ValidationError(
                {
                    "reason": [
                        _("Give the reason: %(choices)s")
                        % {"choices": ", ".join(RejectReason.values)}
                    ]
                }
            )
        changes["reject_reason"] = reason
        data["reason"] = reason
    elif action == Action.CONSULT:
        members = _participants(case, participants)
        data["participants"] = [m.pk for m in members]
        data["names"] = [m.name for m in members]
    elif action == Action.SEND_BACK:
        if case.state == S.REFERRED:
            target = S.ESCALATED
            data["department"] = case.department_id
            changes["department"] = None
        else:
            target = S.REGISTERED
            data["assignee"] = case.assignee_id
            changes["assignee"] = None
    outcome = workflow.case_transition(
        case=case,
        action=action,
        actor=user,
        note=note,
        lon=lon,
        lat=lat,
        data=data,
        target=target,
        **changes,
    )
    return outcome.case


def _reload(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def _merge_target(case: Case, user, into) -> Case:
    bad = ValidationError({"into": [_("Name the open case this one repeats")]})
    try:
        into = int(into)
    except (TypeError, ValueError):
        raise bad from None
    original = Case.objects.restrict(user).filter(pk=into).first()
    if original is None or original.pk == case.pk:
        raise bad
    return original
