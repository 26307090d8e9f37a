"""Open311 GeoReport v2 (/open311/v2/): so that civic-reporting apps and client libraries
written for the standard work with Yemai unchanged.

Resources (each as ``.json`` or ``.xml``): ``discovery``, ``services`` (the leaf categories:
service_code is the category code, group its main category), ``services/{code}`` (a definition
with no attributes), ``requests`` (GET with filters; POST to report, with an ``api_key``),
``requests/{id}`` (an array of one; the id is the case number) and ``tokens/{token}`` (the
tracking code handed out with a new request). Errors are ``[{code, description}]`` (XML:
``errors/error``) with status 400, 403 or 404.

What the public sees: the case number, category, state (open/closed with a note of why), the
description with mobile and ID numbers masked (none at all for a rejected report), the place,
the department responsible, the times — never the reporter's name or phone. Cases of the
categories in ``PRIVATE_MAIN_CATEGORIES`` (disputes between neighbours, help for people in
need) are not shown at all: they are about named households, not a street. A POST needs an
``api_key``: an API token (``yemai tokens create``) of a centre account; the case it makes
has source ``resident`` and goes through the same intake as every other report.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.urls import re_path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yemai.accounts.roles import Role
from yemai.accounts.tokens import token_user
from yemai.core.logfilter import mask_text

from .choices import FINAL_STATES, Action, PhotoKind, RejectReason, Source, State
from .models import Case, CaseEvent, CasePhoto, Category
from .selectors import category_leaf_list
from .services import case_report

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-28T00:00:00Z"  # when this implementation's resources last changed
MAX_RESULTS = 1000
MAX_SPAN = dt.timedelta(days=90)
MAX_IDS = 100
# Main categories whose cases the public never sees (矛盾纠纷, 民生服务).
PRIVATE_MAIN_CATEGORIES = ("06", "08")
# Roles whose API token may submit requests: the centre's app accounts.
SUBMIT_ROLES = {Role.CENTRE_OPERATOR, Role.TOWN_HEAD}
PUBLIC_PHOTO_KINDS = (PhotoKind.REPORT, PhotoKind.BEFORE, PhotoKind.AFTER)
# Intake's field names → the standard's, for error messages.
OPEN311_NAMES = {
    "lon": "long",
    "reporter_phone": "phone",
    "reporter_name": "first_name",
    "category": "service_code",
    "address": "address_string",
    "__all__": "",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


# --- rendering ---------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _CONTROL.sub("", str(value))


def _xml_fill(parent: ET.Element, record: dict) -> None:
    for key, value in record.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, dict):
            _xml_fill(child, value)
        elif isinstance(value, list):
            singular = {"formats": "format", "endpoints": "endpoint", "attributes": "attribute"}
            for item in value:
                node = ET.SubElement(child, singular.get(key, "item"))
                if isinstance(item, dict):
                    _xml_fill(node, item)
                else:
                    node.text = _text(item)
        else:
            child.text = _text(value)


def _render(fmt: str, data, *, root: str, item: str | None = None, status: int = 200):
    """JSON as is; XML under ``root`` (each record of a list as ``item``)."""
    if fmt == "json":
        return HttpResponse(
            json.dumps(data, ensure_ascii=False),
            status=status,
            content_type="application/json; charset=utf-8",
        )
    top = ET.Element(root)
    if isinstance(data, list):
        for record in data:
            _xml_fill(ET.SubElement(top, item or "item"), record)
    else:
        _xml_fill(top, data)
    body = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode")
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _error(fmt: str, status: int, description: str):
    data = [{"code": status, "description": description}]
    return _render(fmt, data, root="errors", item="error", status=status)


def _when(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def open311_view(methods: tuple[str, ...]):
    """Turn Open311Error, ValidationError, PermissionDenied and Http404 into the standard's
    error list in the requested format; check the method and the jurisdiction."""

    def wrap(view):
        @csrf_exempt
        def handler(request, fmt: str, **kwargs):
            try:
                if request.method not in methods:
                    response = _error(
                        fmt, 405, _("Use %(methods)s") % {"methods": ", ".join(methods)}
                    )
                    response["Allow"] = ", ".join(methods)
                    return response
                jurisdiction = _param(request, "jurisdiction_id")
                if jurisdiction and jurisdiction != settings.OPEN311_JURISDICTION:
                    raise Open311Error(
                        404, _("jurisdiction_id %(id)s not found") % {"id": jurisdiction[:50]}
                    )
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return _error(fmt, exc.status, exc.description)
            except ValidationError as exc:
                messages = []
                by_field = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
                for field, errors in by_field.items():
                    name = OPEN311_NAMES.get(field, field)
                    for message in errors:
                        messages.append(f"{name}: {message}" if name else str(message))
                return _error(fmt, 400, "; ".join(messages))
            except PermissionDenied as exc:
                return _error(fmt, 403, str(exc) or _("Forbidden"))
            except Http404:
                return _error(fmt, 404, _("Not found"))

        handler.__name__ = view.__name__
        handler.__doc__ = view.__doc__
        return handler

    return wrap


def _param(request, name: str) -> str:
    """A parameter from the form body (POST) or the query string; clients send both."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name, "")
    if "\x00" in (value or ""):  # PostgreSQL stores no NUL: refuse it here, not with a 500
        raise Open311Error(400, _("%(name)s contains a NUL character") % {"name": name})
    return (value or "").strip()


# --- services ----------------------------------------------------------------------------------


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": str(category),
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(
            k for k in (category.parent.name, category.name, category.get_kind_display()) if k
        ),
        "group": category.parent.name,
    }


@open311_view(("GET",))
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2/")
    data = {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT or _("The town grid centre (镇网格中心)"),
        "key_service": _("API keys are issued by the grid centre (yemai tokens create)"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base.rstrip("/"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _render(fmt, data, root="discovery")


@open311_view(("GET",))
def services(request, fmt):
    data = [_service(c) for c in category_leaf_list()]
    return _render(fmt, data, root="services", item="service")


@open311_view(("GET",))
def service_definition(request, fmt, code):
    category = category_leaf_list().filter(code=code[:20]).first()
    if category is None:
        raise Open311Error(404, _("service_code %(code)s not found") % {"code": code[:20]})
    data = {"service_code": category.code, "attributes": []}
    return _render(fmt, data, root="service_definition")


# --- requests ----------------------------------------------------------------------------------


def _public_cases():
    return (
        Case.objects.exclude(category__parent__code__in=PRIVATE_MAIN_CATEGORIES)
        .select_related("category", "category__department", "department", "merged_into")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=CasePhoto.objects.filter(kind__in=PUBLIC_PHOTO_KINDS).order_by("id"),
                to_attr="public_photos",
            )
        )
    )


def _status(case: Case) -> tuple[str, str]:
    """(open|closed, a note of why it is where it is) — never a staff member's own note."""
    if case.state not in FINAL_STATES:
        return "open", str(State(case.state).label)
    if case.merged_into_id:
        return "closed", _("Merged into %(number)s") % {"number": case.merged_into.number}
    if case.state == State.REJECTED:
        reason = RejectReason(case.reject_reason).label if case.reject_reason else ""
        return "closed", f"{State(case.state).label}: {reason}" if reason else str(
            State(case.state).label
        )
    return "closed", str(State(case.state).label)


def _agency(case: Case) -> str:
    """The department working on it (联动), else the one that owns its category."""
    department = case.department if case.department_id else case.category.department
    return department.name if department else ""


def _request_out(request, case: Case) -> dict:
    status, notes = _status(case)
    photos = getattr(case, "public_photos", [])
    rejected = case.state == State.REJECTED and not case.merged_into_id
    return {
        "service_request_id": case.number,
        "status": status,
        "status_notes": notes,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": "" if rejected else mask_text(case.description),
        "agency_responsible": _agency(case),
        "service_notice": "",
        "requested_datetime": _when(case.reported_at),
        "updated_datetime": _when(case.updated_at),
        "expected_datetime": _when(case.due_at) if status == "open" else None,
        "address": mask_text(case.address),
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lon,
        "media_url": request.build_absolute_uri(f"/open311/v2/media/{photos[0].pk}.jpg")
        if photos and not rejected
        else "",
    }


def _moment(value: str, name: str, *, end: bool = False) -> dt.datetime | None:
    if not value:
        return None
    moment = None
    try:
        moment = parse_datetime(value.replace(" ", "+"))  # a "+" sent unencoded reads as " "
        if moment is None:
            day = parse_date(value)
            if day is not None:
                moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(
            400, _("%(name)s must be a w3 datetime, e.g. 2026-01-01T00:00:00Z") % {"name": name}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _list_requests(request, fmt):
    ids = [i.strip() for i in _param(request, "service_request_id").split(",") if i.strip()]
    cases = _public_cases()
    if ids:
        # The standard: with ids, every other filter is ignored.
        cases = cases.filter(number__in=ids[:MAX_IDS])
    else:
        codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
        if codes:
            cases = cases.filter(category__code__in=codes[:MAX_IDS])
        statuses = {s.strip() for s in _param(request, "status").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status must be open, closed or both"))
        if statuses == {"open"}:
            cases = cases.exclude(state__in=FINAL_STATES)
        elif statuses == {"closed"}:
            cases = cases.filter(state__in=FINAL_STATES)
        start = _moment(_param(request, "start_date"), "start_date")
        end = _moment(_param(request, "end_date"), "end_date", end=True)
        if start is None and end is None:
            end = timezone.now()
        if end is None:
            end = start + MAX_SPAN
        if start is None:
            start = end - MAX_SPAN
        if end < start:
            raise Open311Error(400, _("end_date is before start_date"))
        if end - start > MAX_SPAN:
            raise Open311Error(400, _("start_date and end_date may be at most 90 days apart"))
        cases = cases.filter(reported_at__gte=start, reported_at__lte=end)
    data = [_request_out(request, c) for c in cases.order_by("-reported_at", "-id")[:MAX_RESULTS]]
    return _render(fmt, data, root="service_requests", item="request")


def _point(value: str, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number") % {"name": name}) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise Open311Error(400, _("%(name)s is out of range") % {"name": name})
    return number


def _submitter(request):
    key = _param(request, "api_key")
    if not key:
        raise Open311Error(403, _("api_key was not provided"))
    user = token_user(key)
    if user is None:
        raise Open311Error(403, _("Invalid api_key"))
    if user.role not in SUBMIT_ROLES and not user.is_unrestricted:
        raise Open311Error(403, _("This api_key may not submit requests"))
    return user


def _reporter_name(first: str, last: str) -> str:
    if not (first or last):
        return ""
    if any(ord(ch) > 0x2E7F for ch in first + last):  # Chinese: family name first, no space
        return f"{last}{first}"
    return f"{first} {last}".strip()


def _media_url(value: str) -> str:
    if not value or len(value) > 500:
        return ""
    parts = urlsplit(value)
    return value if parts.scheme in {"http", "https"} and parts.netloc else ""


def _create_request(request, fmt):
    app = _submitter(request)
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, _("service_code was not provided"))
    category = category_leaf_list().filter(code=code[:20]).first()
    if category is None:
        raise Open311Error(400, _("service_code %(code)s not found") % {"code": code[:20]})
    lat, lon = _param(request, "lat"), _param(request, "long")
    address = _param(request, "address_string") or _param(request, "address_id")
    if bool(lat) != bool(lon):
        raise Open311Error(400, _("Send both lat and long"))
    if not (lat or address):
        raise Open311Error(400, _("A location is required: lat and long, or address_string"))
    if lat:
        lat = _point(lat, "lat", -90, 90)
        lon = _point(lon, "long", -180, 180)
    description = _param(request, "description")
    if len(description) > 2000:
        raise Open311Error(400, _("description is longer than 2000 characters"))
    if len(address) > 200:
        raise Open311Error(400, _("address_string is longer than 200 characters"))
    media = _media_url(_param(request, "media_url"))
    with transaction.atomic():
        case, _created = case_report(
            source=Source.RESIDENT,
            category=category,
            description=description or category.name,
            lon=lon or None,
            lat=lat or None,
            address=address,
            reporter_name=_reporter_name(
                _param(request, "first_name")[:25], _param(request, "last_name")[:25]
            ),
            reporter_phone=_param(request, "phone")[:20],
        )
        # Which app sent it, and the resident's photo link, stay with the report step.
        CaseEvent.objects.filter(case=case, action=Action.REPORT).update(
            data={"source": Source.RESIDENT, "open311": app.username, "media_url": media}
        )
    notice = _("Case %(number)s received. Keep the tracking code %(code)s to follow it.") % {
        "number": case.number,
        "code": case.tracking_code,
    }
    data = [
        {
            "service_request_id": case.number,
            "token": case.tracking_code,
            "service_notice": notice,
            "account_id": None,
        }
    ]
    return _render(fmt, data, root="service_requests", item="request")


@open311_view(("GET", "POST"))
def requests_view(request, fmt):
    """GET: requests of the last 90 days (or the dates given), at most 1000; POST: report."""
    if request.method == "POST":
        return _create_request(request, fmt)
    return _list_requests(request, fmt)


@open311_view(("GET",))
def request_one(request, fmt, request_id):
    case = _public_cases().filter(number=request_id[:24]).first()
    if case is None:
        raise Open311Error(404, _("service_request_id %(id)s not found") % {"id": request_id[:24]})
    data = [_request_out(request, case)]
    return _render(fmt, data, root="service_requests", item="request")


@open311_view(("GET",))
def token_view(request, fmt, token):
    case = _public_cases().filter(tracking_code=token[:16].upper()).first()
    if case is None:
        raise Open311Error(404, _("token %(token)s not found") % {"token": token[:16]})
    data = [{"service_request_id": case.number, "token": case.tracking_code}]
    return _render(fmt, data, root="service_requests", item="request")


def media(request, photo_id: int):
    """The public copy (no EXIF, no GPS) of a photo of a case the public may see."""
    from .evidence import PUBLIC, photo_open

    photo = (
        CasePhoto.objects.select_related("case")
        .filter(pk=photo_id, kind__in=PUBLIC_PHOTO_KINDS)
        .exclude(case__category__parent__code__in=PRIVATE_MAIN_CATEGORIES)
        .exclude(Q(case__state=State.REJECTED) & Q(case__merged_into__isnull=True))
        .first()
    )
    if photo is None or request.method not in {"GET", "HEAD"}:
        raise Http404
    try:
        opened = photo_open(photo=photo, user_or_public=PUBLIC, variant="public")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(opened.file, content_type=opened.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


_FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + _FMT, discovery, name="open311-discovery"),
    re_path(r"^services" + _FMT, services, name="open311-services"),
    re_path(r"^services/(?P<code>[^/]+?)" + _FMT, service_definition, name="open311-service"),
    re_path(r"^requests" + _FMT, requests_view, name="open311-requests"),
    re_path(r"^requests/(?P<request_id>[^/]+?)" + _FMT, request_one, name="open311-request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + _FMT, token_view, name="open311-token"),
    re_path(r"^media/(?P<photo_id>\d{1,12})\.jpg$", media, name="open311-media"),
]
