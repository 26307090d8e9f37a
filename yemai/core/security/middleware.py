"""Security middleware: headers (CSP), rate limits, idle logout, and the sign-in gate.

Order in ``settings.MIDDLEWARE``: after authentication, so ``request.user`` is known; the
session cookie guard alone comes before the session middleware.
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ..context import client_ip
from . import actor
from .ratelimit import rate_limit_hit

TILE_HOSTS = {
    "osm": "https://tile.openstreetmap.org https://*.tile.openstreetmap.org",
    "tianditu": "https://*.tianditu.gov.cn",
    "amap": "https://*.is.autonavi.com",
}


# What Django's session keys are made of (sessions.backends.base.VALID_KEY_CHARS).
_SESSION_KEY = re.compile(r"[a-z0-9]{8,64}")


class SessionCookieGuardMiddleware:
    """Forget a session cookie that cannot be a session key before the session store looks it
    up: a NUL byte in it made PostgreSQL refuse the query and the request fail with a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = settings.SESSION_COOKIE_NAME
        value = request.COOKIES.get(name)
        if value is not None and not _SESSION_KEY.fullmatch(value):
            del request.COOKIES[name]
        return self.get_response(request)


def content_security_policy() -> str:
    policy = settings.CSP
    host = TILE_HOSTS.get(getattr(settings, "MAP_TILES", "none"))
    if host and "img-src" in policy:
        # The operator chose online map tiles: they are images from that provider only.
        policy = policy.replace("img-src", f"img-src {host}", 1)
    return policy


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no inline script, nothing from a foreign host) and friends."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages with personal data must not stay in shared caches or the back button.
            response.setdefault("Cache-Control", "no-store, private")
        return response


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/open311/")) or "json" in request.headers.get(
        "Accept", ""
    )


class RateLimitMiddleware:
    """``settings.RATE_LIMITS`` per client address; over the limit: 429 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        retry_after = rate_limit_hit(request.method, request.path, client_ip(request))
        if retry_after:
            text = _("Too many requests from your address: try again in %(s)s seconds.") % {
                "s": retry_after
            }
            if _wants_json(request):
                response = JsonResponse({"detail": text}, status=429)
            else:
                response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(retry_after)
            return response
        return self.get_response(request)


def _session_user(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return None
    return user


class IdleTimeoutMiddleware:
    """A session left unused for ``settings.IDLE_TIMEOUT_MINUTES`` (15) is signed out.

    A page's own polling (a script that asks for a job's progress every second) sends
    ``X-Yemai-Poll: 1``: it is not the person's activity, so it does not keep the session
    alive, and it writes no session row (on SQLite that write would wait for the database's
    write lock, held by the very job being polled)."""

    TOUCH_EVERY_S = 20  # write the session at most this often for the "last seen" time

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = _session_user(request)
        if user is not None:
            now = time.time()
            last = request.session.get("yemai_seen")
            if last is not None and now - last > settings.IDLE_TIMEOUT_MINUTES * 60:
                request._yemai_logout_reason = "idle"  # the logout signal audits it
                logout(request)
                text = _("You were signed out after %(n)s minutes without activity.") % {
                    "n": settings.IDLE_TIMEOUT_MINUTES
                }
                if _wants_json(request):
                    return JsonResponse({"detail": text}, status=401)
                messages.warning(request, text)
                return HttpResponseRedirect(
                    f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}"
                )
            polling = request.headers.get("X-Yemai-Poll") == "1"
            if not polling and (last is None or now - last > self.TOUCH_EVERY_S):
                request.session["yemai_seen"] = now
        return self.get_response(request)


PENDING_KEY = "yemai_pending"
STEP_URLS = {
    "totp_setup": "/account/2fa/",
    "totp": "/account/2fa/",
    "password": "/account/password/",
}
OPEN_PREFIXES = (
    "/account/",
    "/admin/logout/",
    "/admin/login/",
    "/login/",
    "/logout/",
    "/static/",
    "/i18n/",
    "/favicon",
)


class SecurityGateMiddleware:
    """Until a signed-in user has passed the second factor and changed a password that must
    change, they reach only those pages (and logout); the API answers 403.

    Also remembers who acts, for audit records written far from the view (permission
    changes), and records a configuration change once per process.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.config_checked = False

    def __call__(self, request):
        if not self.config_checked:
            self.config_checked = True
            from .config import audit_configuration

            audit_configuration()
        user = _session_user(request)
        if user is not None:
            pending = request.session.get(PENDING_KEY) or []
            if pending and not request.path.startswith(OPEN_PREFIXES):
                if request.path.startswith(("/api/", "/open311/")):
                    return JsonResponse(
                        {"detail": _("Finish signing in first (second factor or password).")},
                        status=403,
                    )
                target = STEP_URLS[pending[0]]
                return HttpResponseRedirect(
                    f"{target}?{urlencode({'next': request.get_full_path()})}"
                )
        token = actor.current_user.set(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            actor.current_user.reset(token)
