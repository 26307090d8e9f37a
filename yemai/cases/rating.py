"""The resident's rating (综合评价) and the staff's phone follow-up (回访).

When a case closes and a resident reported it, the resident gets a link with a random token
(no login): only its SHA-256 is stored (``Case.rating_token_hash``), and it is valid for
``settings.CASE_RATING_DAYS`` days after the case closed. With it the resident rates 1–5 and
says whether the problem is really fixed — once. "Not fixed" reopens the case as rework: back
to the same assignee with a fresh handling clock. Reporters of cases merged into this one get
links of their own, and their ratings count for the original.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from . import workflow
from .choices import Action, Fixed, Source, State
from .duplicates import case_followed
from .models import Case, CaseEvent, Rating

TOKEN_BYTES = 32
MAX_COMMENT = 1000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rating_url(token: str) -> str:
    return f"{settings.CASE_RATING_URL}{token}"


def resident_reported(case: Case) -> bool:
    """A resident with no account raised it (portal, QR code, hotline), not staff or a machine."""
    if case.reporter_id is not None:
        return False
    return case.source in {Source.RESIDENT, Source.HOTLINE} or bool(case.reporter_phone)


def rating_token_issue(*, case: Case) -> str:
    """A new rating token for the reporter of ``case`` (replacing any earlier one); only its
    hash is stored, so the token returned here is the only copy."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    digest = token_hash(token)
    Case.objects.filter(pk=case.pk).update(rating_token_hash=digest)
    case.rating_token_hash = digest
    return token


@workflow.on_transition
def _invite_on_close(outcome) -> None:
    """On close: a rating link for the reporting resident, and for each reporter of a case
    merged into this one, each by SMS when there is a phone."""
    if outcome.event.action != Action.CLOSE:
        return
    case = outcome.case
    if not case.category.rating_asked:
        return
    from . import notices

    reporters = [case, *Case.objects.filter(merged_into=case).order_by("pk")]
    for reporter_case in reporters:
        if resident_reported(reporter_case):
            token = rating_token_issue(case=reporter_case)
            notices.rating_invitation_send(case=case, reporter_case=reporter_case, token=token)


def _clean_rating(score, fixed, comment) -> tuple[int, str, str]:
    errors: dict[str, list[str]] = {}
    if isinstance(score, bool):
        score = None
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = None
    if score is None or not 1 <= score <= 5:
        errors["score"] = [_("Give a score from 1 to 5")]
    if fixed not in Fixed.values:
        errors["fixed"] = [_("Say whether it is fixed: yes, no or unknown")]
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = [_("Keep the comment under %(n)s characters") % {"n": MAX_COMMENT}]
    if errors:
        raise ValidationError(errors)
    return score, fixed, comment


def _token_case(token: str) -> Case:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise ValidationError({"token": [_("This rating link is not valid")]})
    case = Case.objects.filter(rating_token_hash=token_hash(token)).first()
    if case is None:
        raise ValidationError({"token": [_("This rating link is not valid")]})
    return case


def _already_rated(target: Case, token_case: Case) -> bool:
    """This reporter rated the case since it last closed (by link or by tracking code)."""
    return CaseEvent.objects.filter(
        case=target, action=Action.RATE, data__token_case=token_case.pk, at__gte=target.closed_at
    ).exists()


def _rating_target(token_case: Case, *, now: dt.datetime, field: str) -> Case:
    """The case the reporter of ``token_case`` rates now, or a ValidationError (on ``field``)
    saying why they cannot."""
    target = case_followed(token_case)
    if target.closed_at is not None and _already_rated(target, token_case):
        raise ValidationError({field: [_("You have already rated this case")]})
    if target.closed_at is None:
        raise ValidationError({field: [_("This case is not closed yet: rate it when it is")]})
    if target.state != State.CLOSED:
        raise ValidationError(
            {field: [_("This case has been reopened; you will get a new link when it closes")]}
        )
    if now > target.closed_at + dt.timedelta(days=settings.CASE_RATING_DAYS):
        raise ValidationError({field: [_("This rating link has expired")]})
    return target


def rating_case_for_token(*, token: str, now: dt.datetime | None = None) -> Case:
    """The case a rating link rates (the original, for a merged case's reporter), or a
    ValidationError saying why the link cannot be used."""
    return _rating_target(_token_case(token), now=now or timezone.now(), field="token")


def _code_case(code: str) -> Case:
    """The case a resident reported, by its tracking code (查询码): only they were given it."""
    code = (code or "").strip().upper()[:16] if isinstance(code, str) else ""
    case = (
        Case.objects.filter(tracking_code=code).select_related("category").first() if code else None
    )
    if case is None or not resident_reported(case):
        raise ValidationError({"code": [_("No case of yours has this tracking code")]})
    return case


def rating_case_for_code(*, code: str, now: dt.datetime | None = None) -> Case:
    """The case a resident may rate with their tracking code, as with the rating link: once
    each time it closes, within ``CASE_RATING_DAYS``, where the category asks for a rating."""
    token_case = _code_case(code)
    target = _rating_target(token_case, now=now or timezone.now(), field="code")
    if not target.category.rating_asked:
        raise ValidationError({"code": [_("This kind of case is not rated")]})
    return target


def _rework(case: Case, *, actor, rating: Rating, now: dt.datetime) -> None:
    """Reopen a closed case that is not fixed (返工): back to the same assignee, who gets a
    fresh handling clock (or to the centre's queue if nobody was assigned)."""
    workflow.case_transition(
        case=case,
        action=Action.REWORK,
        actor=actor,
        now=now,
        target=State.ACCEPTED if case.assignee_id else State.REGISTERED,
        note=_("Reopened: the resident says it is not fixed")
        if not rating.by_phone
        else _("Reopened: not fixed, said on the phone follow-up"),
        data={"reason": "not_fixed", "rating": rating.pk, "score": rating.score},
    )  # the workflow counts the rework (rework_count + 1)


@transaction.atomic
def rating_submit(
    *, token: str, score, fixed: str, comment: str = "", now: dt.datetime | None = None
) -> Rating:
    """The resident's rating, once per link. "Not fixed" reopens the case as rework."""
    token_case = _token_case(token)
    return _submit(
        token_case,
        lambda now: rating_case_for_token(token=token, now=now),
        (score, fixed, comment),
        now=now,
        proof={"token": token_case.rating_token_hash[:16]},
    )


@transaction.atomic
def rating_submit_by_code(
    *, code: str, score, fixed: str, comment: str = "", now: dt.datetime | None = None
) -> Rating:
    """The resident's rating with their tracking code (no SMS needed): the same rules as the
    link — once each time the case closes; "not fixed" reopens it as rework."""
    return _submit(
        _code_case(code),
        lambda now: rating_case_for_code(code=code, now=now),
        (score, fixed, comment),
        now=now,
        proof={"via": "tracking_code"},
    )


def _submit(token_case: Case, target_for, given: tuple, *, now, proof: dict) -> Rating:
    """Check the rating, lock the case it rates, check again under the lock (``target_for``),
    and record it."""
    now = now or timezone.now()
    score, fixed, comment = _clean_rating(*given)
    Case.objects.select_for_update().get(pk=case_followed(token_case).pk)
    target = target_for(now)
    return _rate(
        target, token_case, score=score, fixed=fixed, comment=comment, now=now, proof=proof
    )


SATISFIED_MIN = 4  # a score of 4 or 5 counts as satisfied (满意), docs/metrics.md


def rating_save(rating: Rating) -> Rating:
    """Check and store a rating, and add it to its case's totals in the same transaction."""
    rating.full_clean()
    with transaction.atomic():
        rating.save()
        Case.objects.filter(pk=rating.case_id).update(
            ratings_count=F("ratings_count") + 1,
            ratings_score_sum=F("ratings_score_sum") + rating.score,
            ratings_satisfied=F("ratings_satisfied") + int(rating.score >= SATISFIED_MIN),
        )
    return rating


def rating_totals_rebuild(*, case_ids=None) -> int:
    """Count the cases' rating totals again from their ratings (after rows were loaded or
    removed by hand); returns the number of cases updated."""
    ratings = Rating.objects.filter(case=OuterRef("pk")).order_by().values("case")
    if case_ids is None:  # the cases with a rating, and any whose totals say they have one
        case_ids = Rating.objects.order_by().values("case")
        cases = Case.objects.filter(Q(pk__in=case_ids) | Q(ratings_count__gt=0))
    else:
        cases = Case.objects.filter(pk__in=case_ids)
    return cases.update(
        ratings_count=Coalesce(Subquery(ratings.annotate(n=Count("id")).values("n")), 0),
        ratings_score_sum=Coalesce(Subquery(ratings.annotate(n=Sum("score")).values("n")), 0),
        ratings_satisfied=Coalesce(
            Subquery(ratings.filter(score__gte=SATISFIED_MIN).annotate(n=Count("id")).values("n")),
            0,
        ),
    )


def _rate(target: Case, token_case: Case, *, score, fixed, comment, now, proof: dict) -> Rating:
    rating = Rating(case=target, score=score, fixed=fixed, comment=comment, at=now)
    rating_save(rating)
    workflow.case_transition(
        case=target,
        action=Action.RATE,
        actor=workflow.reporter(_("Reporter")),
        now=now,
        note=comment,
        data={
            "rating": rating.pk,
            "score": score,
            "fixed": fixed,
            "token_case": token_case.pk,
            "merged_case": token_case.pk if token_case.pk != target.pk else None,
            **proof,
        },
    )
    if fixed == Fixed.NO:
        _rework(target, actor=workflow.system(_("Rating")), rating=rating, now=now)
    return rating


@transaction.atomic
def follow_up_record(
    *, case: Case, user, score, fixed: str, comment: str = "", now: dt.datetime | None = None
) -> Rating:
    """A phone follow-up (回访) recorded by staff; "not fixed" reopens the case as rework."""
    now = now or timezone.now()
    score, fixed, comment = _clean_rating(score, fixed, comment)
    outcome = workflow.case_transition(
        case=case,
        action=Action.FOLLOW_UP,
        actor=user,
        now=now,
        note=comment,
        data={"score": score, "fixed": fixed},
    )
    rating = Rating(
        case=outcome.case,
        score=score,
        fixed=fixed,
        comment=comment,
        by_phone=True,
        recorded_by=user,
        at=now,
    )
    rating_save(rating)
    outcome.event.data = {**outcome.event.data, "rating": rating.pk}
    outcome.event.save(update_fields=["data"])
    if fixed == Fixed.NO:
        _rework(outcome.case, actor=user, rating=rating, now=now)
    return rating
