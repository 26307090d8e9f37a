"""The pages people use (docs/pages.md): thin views over the JSON API and the selectors.

Staff pages (command-centre map, the member's phone app, the leader's and the department's
desks) need a session; the resident portal, the rating page and the public boards need none.
The pages' scripts talk to ``/api/`` with the session and the CSRF token; the few data
endpoints here (map data, today's figures, changes, QR codes) answer JSON or SVG, always in
the user's scope.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required as _login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yemai.cases import map as case_map
from yemai.cases import selectors as case_selectors
from yemai.cases.choices import Action, Source, State
from yemai.core.security.forms import SignInForm
from yemai.duty import selectors as duty_selectors
from yemai.duty import services as duty_services
from yemai.duty.choices import Review

from . import selectors

STATIC = Path(__file__).resolve().parent / "static" / "web"

# Staff pages send a stranger to the pages' own sign-in (phone-sized), not the admin's.
login_required = _login_required(login_url=reverse_lazy("web:login"))


# --- tiles ------------------------------------------------------------------------------------


def tile_config() -> dict:
    """The base map the setting names (YEMAI_MAP_TILES): URL templates, attribution, and the
    datum it is drawn in (Amap: GCJ-02, so our WGS-84 data is shifted before display)."""
    kind = settings.MAP_TILES
    if kind == "osm":
        layers = [{"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "subdomains": ""}]
        return {"kind": kind, "crs": "wgs84", "layers": layers, "attribution": "© OpenStreetMap"}
    if kind == "tianditu":
        tk = settings.TIANDITU_TOKEN
        base = (
            "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + tk
        )
        layers = [
            {"url": base.replace("{layer}", name), "subdomains": "01234567"}
            for name in ("vec", "cva")
        ]
        return {"kind": kind, "crs": "wgs84", "layers": layers, "attribution": "© 天地图"}
    if kind == "amap":
        url = (
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}"
        )
        layers = [{"url": url, "subdomains": "1234"}]
        return {"kind": kind, "crs": "gcj02", "layers": layers, "attribution": "© 高德地图"}
    return {"kind": "none", "crs": "wgs84", "layers": [], "attribution": ""}


# --- sign in and the landing page -------------------------------------------------------------


def role_home_url(user) -> str:
    name = selectors.ROLE_HOME.get(getattr(user, "role", ""))
    return reverse(name) if name else reverse("web:home")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = SignInForm  # says plainly when a sign-in is locked, as the admin does
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return role_home_url(self.request.user)


@login_required
def home(request):
    return render(
        request,
        "web/home.html",
        {
            "scope": request.user.scope,
            "role_home": role_home_url(request.user),
            "may_review_checkins": duty_selectors.sensitive_grant_holds(user=request.user),
        },
    )


# --- command centre ---------------------------------------------------------------------------


def _staff_context(request, **extra) -> dict:
    return {
        "scope": request.user.scope,
        "may_review_checkins": duty_selectors.sensitive_grant_holds(user=request.user),
        "tiles": tile_config(),
        "states": [(s.value, s.label) for s in State],
        "sources": [(s.value, s.label) for s in Source],
        "categories": case_selectors.category_tree(),
        "action_choices": [(a.value, a.label) for a in Action],
        **extra,
    }


@login_required
def centre(request):
    return render(request, "web/centre.html", _staff_context(request))


def _bbox(value: str):
    if not value:
        return None
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        raise ValidationError({"bbox": [_("Give west,south,east,north in degrees")]}) from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValidationError({"bbox": [_("Give west,south,east,north in degrees")]})
    return west, south, east, north


def _bad_request(exc: ValidationError) -> JsonResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return JsonResponse({"detail": "invalid", "errors": errors}, status=400)


def _json_login_required(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "not signed in"}, status=401)
        try:
            return view(request, *args, **kwargs)
        except ValidationError as exc:
            return _bad_request(exc)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_GET(never_cache(wrapped))


# Map answers are kept this many seconds for the same view, filters and data version: many
# screens showing the same town (and a map's own refreshes) cost one query. The page sends
# the version it learnt from /centre/changes.json, so a change is never hidden by the cache.
MAP_CACHE_SECONDS = 10


def _visibility_key(user) -> str:
    """What decides which cases a user sees (``Case.objects.restrict``): scope, role, department."""
    if user.is_unrestricted:
        return "all"
    return f"{user.scope_id}:{user.role}:{user.department_id or ''}"


@_json_login_required
def centre_cases(request):
    """Cases for the visible map box: markers when few, server-side clusters when many."""
    from django.core.cache import cache

    try:
        zoom = max(case_map.MIN_ZOOM, min(case_map.MAX_ZOOM, int(request.GET.get("zoom", "14"))))
    except ValueError:
        raise ValidationError({"zoom": [_("Give a whole number")]}) from None
    bbox = _bbox(request.GET.get("bbox", ""))
    if bbox is not None:
        bbox = case_map.snap_bbox(bbox, case_map.cell_degrees(zoom))
    filters = {
        "state": request.GET.get("state", "open")[:200],
        "category": request.GET.get("category", "")[:20],
        "source": request.GET.get("source", "")[:12],
        "period": request.GET.get("period", "")[:40],
    }
    shift = tile_config()["crs"]
    key = "map:" + "|".join(
        [
            _visibility_key(request.user),
            shift,
            str(zoom),
            ",".join(f"{v:.6f}" for v in bbox) if bbox else "",
            *filters.values(),
            request.GET.get("v", "")[:40],
            timezone.localdate().isoformat(),
        ]
    )
    data = cache.get(key)
    if data is None:
        data = case_map.map_cases(user=request.user, bbox=bbox, zoom=zoom, shift=shift, **filters)
        cache.set(key, data, MAP_CACHE_SECONDS)
    return JsonResponse(data)


@_json_login_required
def centre_layers(request):
    """The still layers: micro-grid polygons with their figures, cameras, service points."""
    shift = tile_config()["crs"]
    features = selectors.map_grid_features(user=request.user, shift=shift)
    figures = case_map.map_grid_figures(user=request.user, grid_ids=[f["id"] for f in features])
    for feature in features:
        feature["properties"].update(
            figures.get(feature["id"], {"open": 0, "overdue": 0, "on_time": None})
        )
    return JsonResponse(
        {
            "grids": {"type": "FeatureCollection", "features": features},
            "points": selectors.map_service_points(user=request.user, shift=shift),
            "cameras": selectors.map_cameras(user=request.user, shift=shift),
        }
    )


@_json_login_required
def centre_today(request):
    return JsonResponse(
        case_map.map_today(user=request.user, grid=request.GET.get("grid", "")[:20])
    )


@_json_login_required
def centre_changes(request):
    """Cases reported or changed since ``since`` (ISO time), for pages that update themselves."""
    raw = request.GET.get("since", "")
    since = parse_datetime(raw) if raw else None
    if since is None:
        if raw:
            raise ValidationError({"since": [_("Give an ISO 8601 time")]})
        since = timezone.now() - dt.timedelta(minutes=5)
    if timezone.is_naive(since):
        since = timezone.make_aware(since)
    return JsonResponse(case_map.map_case_changes(user=request.user, since=since))


@_json_login_required
def centre_departments(request):
    """The departments a case may be referred to: those of the case's town (or above)."""
    raw = request.GET.get("case", "")
    if not raw.isdigit():
        raise ValidationError({"case": [_("Give a case id")]})
    case = case_selectors.case_get(user=request.user, pk=int(raw))
    return JsonResponse(selectors.departments_for_grid(grid_path=case.grid.path), safe=False)


# --- field and desk pages ---------------------------------------------------------------------


@login_required
def member(request):
    """The grid member's phone app (PWA shell): the lists are fetched by its script."""
    return render(request, "web/member.html", _staff_context(request))


@login_required
def leader(request):
    return render(request, "web/leader.html", _staff_context(request))


@login_required
def department(request):
    return render(
        request,
        "web/department.html",
        _staff_context(request, department=request.user.department),
    )


# --- check-in review (外勤打卡审核) ---------------------------------------------------------------

# The review page shows this many pending check-ins at a time, oldest first.
CHECKIN_REVIEW_PAGE = 50


def _checkin_review_allowed(user) -> None:
    """The page exists only for those holding the whereabouts grant (duty.selectors): for
    anyone else it is not there at all (404), so it tells them nothing."""
    if not duty_selectors.sensitive_grant_holds(user=user):
        raise Http404


@login_required
@never_cache
def checkins(request):
    """Pending check-ins in the reviewer's scope: who, when, where (the micro-grid the place
    lies in). The selfie is not on the page: "Show selfie" fetches it from the audited
    ``/api/duty/checkins/{id}/photo``. Looking at the list is audited too."""
    _checkin_review_allowed(request.user)
    pending = duty_selectors.checkin_pending_list(user=request.user).order_by("at", "id")
    total = pending.count()
    rows = list(pending[:CHECKIN_REVIEW_PAGE])
    places = duty_selectors.checkin_places(user=request.user, checkins=rows)
    duty_services.checkin_pending_view_record(user=request.user, checkins=rows)
    items = [
        {
            "checkin": c,
            "place": place,
            "own_grid": place is not None and place.grid_id == c.grid_id,
            "photo_url": f"/api/duty/checkins/{c.pk}/photo" if c.has_photo else "",
        }
        for c, place in zip(rows, places, strict=True)
    ]
    return render(
        request,
        "web/checkins.html",
        _staff_context(request, items=items, total=total, shown=len(rows)),
    )


@login_required
@require_POST
def checkin_review(request, pk: int):
    """Accept or reject one check-in through ``duty.services.checkin_review`` (the grant,
    the scope and "never one's own" are checked there), then back to the list."""
    _checkin_review_allowed(request.user)
    checkin = duty_selectors.checkin_get(user=request.user, pk=pk)
    outcome = request.POST.get("outcome", "")
    note = (request.POST.get("note") or "").strip()
    back = redirect("web:checkins")
    if outcome == Review.REJECTED and not note:
        messages.error(request, _("Say why the check-in is rejected."))
        return back
    try:
        duty_services.checkin_review(
            user=request.user, checkin=checkin, outcome=outcome, note=note, only_pending=True
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return back
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not review this check-in."))
        return back
    when = timezone.localtime(checkin.at).strftime("%Y-%m-%d %H:%M")
    if outcome == Review.ACCEPTED:
        text = _("Check-in of %(member)s at %(time)s accepted.")
    else:
        text = _("Check-in of %(member)s at %(time)s rejected.")
    messages.success(request, text % {"member": checkin.member, "time": when})
    return back


def manifest(request):
    body = {
        "name": "叶脉 · 微网格员",
        "short_name": "叶脉",
        "start_url": "/m/",
        "scope": "/m/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1b5e20",
        "lang": "zh-Hans",
        "icons": [
            {"src": "/static/web/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/web/icon-512.png", "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json")


def service_worker(request):
    """The service worker, served from /m/ so that its scope is the member app."""
    response = HttpResponse(
        (STATIC / "sw.js").read_bytes(), content_type="application/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/m/"
    return response


# --- residents (no account) -------------------------------------------------------------------


def _portal_context(request) -> dict:
    context = {
        "tiles": tile_config(),
        "categories": case_selectors.category_tree(),
        "place": None,
        "centre": None,
    }
    point_id = request.GET.get("point", "")
    grid_code = request.GET.get("grid", "")
    if point_id.isdigit():
        point = selectors.public_service_point(pk=int(point_id))
        context["place"] = point.name
        context["centre"] = (point.lon, point.lat)
    elif grid_code:
        node = selectors.public_micro_grid(code=grid_code)
        context["place"] = node.name
        geom = node.geometry
        if geom is not None:
            c = geom.representative_point()
            context["centre"] = (c.x, c.y)
    return context


def portal(request):
    return render(request, "web/portal.html", _portal_context(request))


@require_GET
def portal_grids(request):
    response = JsonResponse(selectors.public_grid_features(shift=tile_config()["crs"]))
    response["Cache-Control"] = "public, max-age=600"
    return response


# A resident may add photos to their own report for a while after sending it, proved by the
# tracking code they were just given.
PORTAL_PHOTO_WINDOW = dt.timedelta(hours=2)
PORTAL_PHOTOS_MAX = 3


@require_POST
def portal_photo(request):
    """A photo for a report the resident just sent (the tracking code proves it is theirs)."""
    from yemai.cases.choices import OPEN_STATES, PhotoKind
    from yemai.cases.duplicates import case_for_tracking_code
    from yemai.cases.evidence import photo_add

    code = (request.POST.get("code") or "").strip()[:16]
    upload = request.FILES.get("file")
    case = case_for_tracking_code(code) if code else None
    if case is None:
        return JsonResponse(
            {"detail": "invalid", "errors": {"code": [_("No report with this tracking code")]}},
            status=404,
        )
    if upload is None:
        return JsonResponse(
            {"detail": "invalid", "errors": {"file": [_("Choose a photo")]}}, status=400
        )
    too_late = timezone.now() - case.reported_at > PORTAL_PHOTO_WINDOW
    if too_late or case.state not in OPEN_STATES or case.reporter_id is not None:
        return JsonResponse(
            {"detail": _("Photos can be added only just after reporting")}, status=403
        )
    if case.photos.filter(kind=PhotoKind.REPORT).count() >= PORTAL_PHOTOS_MAX:
        return JsonResponse(
            {"detail": _("At most %(n)s photos per report") % {"n": PORTAL_PHOTOS_MAX}},
            status=400,
        )
    try:
        photo = photo_add(case=case, file=upload, kind=PhotoKind.REPORT)
    except ValidationError as exc:
        return _bad_request(exc)
    return JsonResponse({"id": photo.pk, "kind": photo.kind}, status=201)


def track(request):
    return render(request, "web/track.html", {"code": request.GET.get("code", "")[:16]})


def rate(request, token: str):
    return render(request, "web/rate.html", {"token": token[:100]})


def rate_by_code(request):
    """The rating with the tracking code, for a resident the SMS link did not reach."""
    return render(request, "web/rate.html", {"code": request.GET.get("code", "")[:16]})


def board(request, code: str):
    node = selectors.public_micro_grid(code=code)
    return render(request, "web/board.html", selectors.public_board(node=node))


def _qr_svg(url: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, title=url)
    return out.getvalue()


def qr(request, kind: str, key: str):
    """A QR code (SVG) that opens the resident portal at a service point or a micro-grid."""
    if kind == "point" and key.isdigit():
        selectors.public_service_point(pk=int(key))
        target = f"{reverse('web:portal')}?point={key}"
    elif kind == "grid":
        selectors.public_micro_grid(code=key)
        target = f"{reverse('web:portal')}?grid={key}"
    else:
        return HttpResponse(status=404)
    response = HttpResponse(
        _qr_svg(request.build_absolute_uri(target)), content_type="image/svg+xml"
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_required
def qr_sheet(request):
    """A printable sheet of QR codes: one per service point and micro-grid in the scope."""
    return render(request, "web/qr_sheet.html", selectors.qr_targets(user=request.user))


def go_home(request):
    return redirect("web:home")
