"""Every write to the ledgers: generic rows from their table description, and the workflows.

A row comes in as a dict of column → raw value (from the API's JSON or an xlsx row); the same
parser checks both, so the file and the API refuse the same things with the same words.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core.audit import audit_record
from yemai.core.crypto import lookup_hash, lookup_hashes
from yemai.core.security.lookups import register_lookup
from yemai.core.validators import normalize_mobile, parse_id_number
from yemai.core.xlsx import FORMULA_START

from . import models
from .access import audit_user, in_scope, node_by_code, reader, require_keep
from .choices import (
    CHOICE_WORDS,
    DEED_TRANSITIONS,
    DeedState,
    PetitionState,
    RequestState,
    ReviewOutcome,
    ServiceKind,
    WelfareState,
)
from .registry import Col, Ledger, ledger_get

ID_PURPOSE = "id_number"  # of the keyed hashes of ID numbers in the ledgers
for _label in ("ledgers.WelfareHousehold", "ledgers.Petition"):
    register_lookup(
        model=_label, hash_field="id_number_hash", source_field="id_number", purpose=ID_PURPOSE
    )

EMPTY = object()  # a blank cell: the model's default on a new row, cleared on a change
TRUE_WORDS = {"是", "1", "true", "yes", "y", "√", "✓"}
FALSE_WORDS = {"否", "0", "false", "no", "n", ""}


# --- Parsing one value ------------------------------------------------------------------------


def _date(raw) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


def _choice(col: Col, raw) -> str:
    text = str(raw).strip()
    for value, label in col.choices.choices:
        if text in (value, str(label), CHOICE_WORDS.get(value)):
            return value
    words = [CHOICE_WORDS.get(v, v) for v in col.choices.values]
    raise ValidationError(_("Choose one of %(choices)s") % {"choices": "、".join(words)})


def _fk(col: Col, raw, user):
    if col.fk == "activity-types":
        found = models.ActivityType.objects.filter(name=str(raw).strip()).first()
        if found is None:
            names = "、".join(models.ActivityType.objects.values_list("name", flat=True))
            raise ValidationError(_("Unknown activity type; known: %(names)s") % {"names": names})
        return found
    target = ledger_get(col.fk)
    qs = target.model.objects.restrict(reader(user))
    text = str(raw).strip()
    found = None
    if target.natural == "id_number":
        found = qs.filter(
            id_number_hash__in=lookup_hashes(text.upper(), purpose=ID_PURPOSE)
        ).first()
    elif target.natural:
        found = qs.filter(**{target.natural: text}).first()
    if found is None and text.isdigit():
        found = qs.filter(pk=int(text)).first()
    if found is None:
        raise ValidationError(_("No such row in your scope: %(value)s") % {"value": text})
    return found


def parse_value(col: Col, raw, user):
    """The Python value of one cell or JSON value; ValidationError (a message) when bad."""
    if isinstance(raw, str):
        raw = raw.strip()
    empty = raw is None or raw == ""
    if empty:
        if col.required:
            raise ValidationError(_("This column is required"))
        return EMPTY
    try:
        if col.kind == "int":
            value = int(Decimal(str(raw)))
            if value < 0:
                raise ValidationError(_("Give a number of zero or more"))
            return value
        if col.kind == "decimal":
            value = Decimal(str(raw))
            if not value.is_finite() or value < 0:
                raise InvalidOperation
            return value
        if col.kind == "date":
            return _date(raw)
    except (ValueError, InvalidOperation):
        words = {
            "int": _("Give a whole number"),
            "decimal": _("Give a number"),
            "date": _("Give a date like 2026-05-01"),
        }
        raise ValidationError(words[col.kind]) from None
    if col.kind == "bool":
        text = str(raw).strip().lower()
        if text in TRUE_WORDS or raw is True:
            return True
        if text in FALSE_WORDS or raw is False:
            return False
        raise ValidationError(_("Write 是 or 否"))
    if col.kind == "grid":
        return node_by_code(user, raw)
    if col.kind == "choice":
        return _choice(col, raw)
    if col.kind == "fk":
        return _fk(col, raw, user)
    if col.kind == "id_number":
        try:
            return parse_id_number(str(raw)).number
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
    if col.kind == "phone":
        return normalize_mobile(str(raw))
    text = str(raw)
    if text[:1] == "'" and text[1:2] and text[1] in FORMULA_START:
        text = text[1:]  # our own export's escape of a formula-like text (yemai.core.xlsx)
    return text


def parse_row(ledger: Ledger, raw: dict, user) -> tuple[dict, dict[str, list[str]]]:
    """Values by field name, and the errors by field name."""
    data, errors = {}, {}
    for col in ledger.cols:
        try:
            value = parse_value(col, raw.get(col.name), user)
            if value is not EMPTY:
                data[col.name] = value
        except ValidationError as exc:
            messages = exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]
            errors[col.name] = [m for group in messages for m in group]
    unknown = sorted(set(raw) - {c.name for c in ledger.cols})
    if unknown:
        errors["__all__"] = [_("Unknown fields: %(names)s") % {"names": ", ".join(unknown)}]
    return data, errors


# --- Generic rows ---------------------------------------------------------------------------


def _fill(ledger: Ledger, obj) -> None:
    """Derived columns: the grid from the parent row, the keyed hashes of ID numbers."""
    if ledger.parent and getattr(obj, "grid_id", None) is None:
        obj.grid = getattr(obj, ledger.parent).grid
    if hasattr(obj, "id_number_hash"):
        obj.id_number_hash = lookup_hash(obj.id_number, purpose=ID_PURPOSE)


def _check_scope(user, obj) -> None:
    grid = getattr(obj, "grid", None)
    if grid is not None and not in_scope(user, grid):
        raise ValidationError({"grid": [_("This grid is outside your scope")]})


def _store(ledger: Ledger, obj, user, *, created: bool) -> None:
    _fill(ledger, obj)
    _check_scope(user, obj)
    if isinstance(obj, models.Hazard) and created:
        hazard_to_case(hazard=obj, user=user)
    obj.full_clean()
    obj.save()
    audit_record(
        user=audit_user(user),
        kind="change",
        obj=obj,
        detail={"ledger": ledger.key, "created": created},
    )


@transaction.atomic
def ledger_row_create(*, kind: str, user, data: dict):
    """Create one row of a ledger from raw values (the API's JSON); 400 naming each bad field."""
    ledger = ledger_get(kind)
    require_keep(user)
    values, errors = parse_row(ledger, data, user)
    if errors:
        raise ValidationError(errors)
    obj = ledger.model(**values)
    _store(ledger, obj, user, created=True)
    return obj


@transaction.atomic
def ledger_row_update(*, kind: str, user, obj, data: dict):
    """Change the given columns of one row (already fetched inside the user's scope)."""
    ledger = ledger_get(kind)
    require_keep(user)
    names = {c.name for c in ledger.cols}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValidationError(
            {"__all__": [_("Unknown fields: %(names)s") % {"names": ", ".join(unknown)}]}
        )
    errors = {}
    for name, raw in data.items():
        try:
            value = parse_value(ledger.col(name), raw, user)
            if value is EMPTY:
                field = obj._meta.get_field(name)
                value = field.get_default() if field.has_default() else (None if field.null else "")
            setattr(obj, name, value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    _store(ledger, obj, user, created=False)
    return obj


@transaction.atomic
def ledger_row_delete(*, kind: str, user, obj) -> None:
    ledger = ledger_get(kind)
    require_keep(user)
    audit_record(user=audit_user(user), kind="delete", obj=obj, detail={"ledger": ledger.key})
    obj.delete()


@transaction.atomic
def ledger_obj_save(*, kind: str, user, obj, created: bool):
    """Save a row changed by a form (the admin): the same checks and audit as the API."""
    require_keep(user)
    _store(ledger_get(kind), obj, user, created=created)
    return obj


def ledger_rows_store(*, ledger: Ledger, user, rows: list[dict]) -> int:
    """Store parsed rows (the importer's): all in the caller's transaction."""
    for values in rows:
        _store(ledger, ledger.model(**values), user, created=True)
    return len(rows)


# --- Workflows ------------------------------------------------------------------------------


def hazard_to_case(*, hazard: models.Hazard, user, category: str = "0701") -> None:
    """A hazard becomes a case of the closed loop (source: department), at its grid's place."""
    from yemai.cases import services as case_services

    if hazard.case_number:
        return
    geometry = hazard.grid.geometry
    point = geometry.representative_point() if geometry is not None else None
    inspection = hazard.inspection
    case, _created = case_services.case_report(
        source="department",
        category=case_services.category_get_leaf(code=category),
        description=_("Safety hazard at %(place)s: %(text)s (rectify by %(date)s)")
        % {"place": inspection.place, "text": hazard.description, "date": hazard.deadline},
        lon=point.x if point is not None else None,
        lat=point.y if point is not None else None,
        address=inspection.place,
        reporter_name=_("Safety inspection"),
    )
    hazard.case_number = case.number


@transaction.atomic
def petition_close(*, user, petition: models.Petition, closure_number: str, closed_on=None,
                   handling: str = "") -> models.Petition:  # fmt: skip
    """Close a petition by 销号: the cancellation number is required and unique per town."""
    require_keep(user)
    closure_number = (closure_number or "").strip()
    if not closure_number:
        raise ValidationError({"closure_number": [_("Give the cancellation number")]})
    if petition.state == PetitionState.CLOSED:
        raise ValidationError({"state": [_("This petition is already closed")]})
    if (
        models.Petition.objects.filter(closure_number=closure_number)
        .exclude(pk=petition.pk)
        .exists()
    ):
        raise ValidationError({"closure_number": [_("This cancellation number is already used")]})
    petition.state = PetitionState.CLOSED
    petition.closure_number = closure_number
    petition.closed_on = closed_on or timezone.localdate()
    if handling:
        petition.handling = handling
    petition.full_clean()
    petition.save()
    audit_record(
        user=audit_user(user), kind="change", obj=petition, detail={"closed": closure_number}
    )
    return petition


@transaction.atomic
def welfare_review_add(*, user, household: models.WelfareHousehold, date, outcome: str,
                       note: str = "", monthly_amount=None) -> models.WelfareReview:  # fmt: skip
    """Record a periodic review; an exit outcome ends the support on that day."""
    require_keep(user)
    if household.state == WelfareState.EXITED:
        raise ValidationError({"household": [_("This household has already exited")]})
    review = models.WelfareReview(
        household=household, grid=household.grid, date=date, outcome=outcome, note=note
    )
    review.full_clean()
    review.save()
    if outcome == ReviewOutcome.EXIT:
        household.state = WelfareState.EXITED
        household.exited_on = date
        household.exit_reason = note or household.exit_reason
    elif outcome == ReviewOutcome.ADJUST and monthly_amount is not None:
        household.monthly_amount = Decimal(str(monthly_amount))
    household.full_clean()
    household.save()
    audit_record(user=audit_user(user), kind="change", obj=household, detail={"review": outcome})
    return review


DEED_FIELDS = {
    DeedState.INVESTIGATING: set(),
    DeedState.CONFIRMED: {"investigation", "decision_number", "decided_on"},
    DeedState.REJECTED: {"investigation", "decided_on"},
    DeedState.COMMENDED: {"commendation", "award"},
}


@transaction.atomic
def deed_transition(*, user, deed: models.GoodDeed, to: str, **fields) -> models.GoodDeed:
    """Move a deed one step: registration → investigation → confirmed/rejected → commended.

    Confirming needs the decision number; commending needs the commendation.
    """
    require_keep(user)
    if (deed.state, to) not in DEED_TRANSITIONS:
        raise ValidationError(
            {"state": [_("A deed cannot go from %(a)s to %(b)s") % {"a": deed.state, "b": to}]}
        )
    unknown = set(fields) - DEED_FIELDS.get(to, set())
    if unknown:
        raise ValidationError(
            {"__all__": [_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}]}
        )
    for name, value in fields.items():
        setattr(deed, name, value)
    if to == DeedState.CONFIRMED and not deed.decision_number:
        raise ValidationError({"decision_number": [_("Give the decision's document number")]})
    if to in (DeedState.CONFIRMED, DeedState.REJECTED) and not deed.decided_on:
        deed.decided_on = timezone.localdate()
    if to == DeedState.COMMENDED and not deed.commendation:
        raise ValidationError({"commendation": [_("Say how the deed was commended")]})
    deed.state = to
    deed.full_clean()
    deed.save()
    audit_record(user=audit_user(user), kind="change", obj=deed, detail={"state": to})
    return deed


@transaction.atomic
def service_request_lend(
    *, user, request: models.ServiceRequest, return_due
) -> models.ServiceRequest:
    """Lend a shared tool until ``return_due``; refused when every piece is out."""
    require_keep(user)
    item = request.item
    if item.kind != ServiceKind.TOOL:
        raise ValidationError({"item": [_("Only shared tools are lent")]})
    out = models.ServiceRequest.objects.filter(item=item, state=RequestState.LENT).count()
    if out >= item.stock:
        raise ValidationError({"item": [_("Every piece of this tool is lent out")]})
    if return_due is None or return_due < request.requested_on:
        raise ValidationError({"return_due": [_("Give a return date after the request")]})
    request.state = RequestState.LENT
    request.return_due = return_due
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def service_request_finish(
    *, user, request: models.ServiceRequest, on=None
) -> models.ServiceRequest:
    """Mark a request done, or a lent tool returned."""
    require_keep(user)
    on = on or timezone.localdate()
    if request.state == RequestState.LENT:
        request.state, request.returned_on = RequestState.RETURNED, on
    elif request.state == RequestState.OPEN:
        request.state, request.done_on = RequestState.DONE, on
    else:
        raise ValidationError({"state": [_("This request is already finished")]})
    request.full_clean()
    request.save()
    return request


def activity_type_ensure(*, names) -> int:
    """The default activity types (set-up, demo); existing ones are kept."""
    made = 0
    for order, name in enumerate(names):
        _obj, created = models.ActivityType.objects.get_or_create(
            name=name, defaults={"order": order}
        )
        made += created
    return made


def reveal(*, user, obj) -> dict:
    """The whole personal data of one row, for a role that may see it; audited."""
    if not getattr(user, "can_reveal_pii", False):
        raise PermissionDenied(_("Your role may not see whole personal data"))
    fields = [f for f in ("id_number", "phone") if hasattr(obj, f)]
    audit_record(user=audit_user(user), kind="view_pii", obj=obj, detail={"fields": fields})
    return {f: getattr(obj, f) for f in fields}
