"""Sign-in steps after the password: the second factor (TOTP) and a required password change.

The sign-in form itself is the admin's (core.admin_site). These pages are the only ones a
user with a pending step may open (core.security.middleware.SecurityGateMiddleware).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yemai.core.audit import audit_record
from yemai.core.context import client_ip
from yemai.core.security import lockout, totp
from yemai.core.security.gate import step_done
from yemai.core.security.middleware import PENDING_KEY
from yemai.core.security.passwords import password_change_required

SETUP_SECRET = "yemai_totp_setup"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


def _onward(request) -> HttpResponseRedirect:
    pending = request.session.get(PENDING_KEY) or []
    if pending:
        from yemai.core.security.middleware import STEP_URLS

        return HttpResponseRedirect(
            f"{STEP_URLS[pending[0]]}?{urlencode({'next': _next(request)})}"
        )
    return HttpResponseRedirect(_next(request))


def _context(request, **extra) -> dict:
    return {**admin.site.each_context(request), "next": _next(request), **extra}


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Set up an authenticator (first time) or enter its code."""
    user = request.user
    pending = request.session.get(PENDING_KEY) or []
    setting_up = "totp_setup" in pending or (not user.totp_confirmed_at and "totp" in pending)
    if not setting_up and "totp" not in pending:
        return _onward(request)
    error = ""
    if setting_up:
        secret = request.session.get(SETUP_SECRET) or totp.new_secret()
        request.session[SETUP_SECRET] = secret
    else:
        secret = None
    if request.method == "POST":
        code = request.POST.get("code", "")
        if totp.totp_verify(user, code, secret=secret):
            if setting_up:
                totp.totp_enrol(user, secret=secret)
                request.session.pop(SETUP_SECRET, None)
                audit_record(user=user, kind="change", obj=user, detail={"totp": "set up"})
            audit_record(user=user, kind="login", obj=user, detail={"factor": "totp"})
            request.session.cycle_key()
            step_done(request, "totp")
            return _onward(request)
        audit_record(
            user=user,
            kind="login_failed",
            obj=user,
            outcome="failed",
            detail={"reason": "wrong second factor"},
        )
        if lockout.login_failed(user.username, client_ip(request)):
            logout(request)
            messages.error(
                request,
                _(
                    "Too many failed sign-ins: signing in with this name or from this address "
                    "is locked for %(minutes)s minutes."
                )
                % {"minutes": settings.LOGIN_LOCK_MINUTES},
            )
            return HttpResponseRedirect(settings.LOGIN_URL)
        error = _("That code is not right. Enter the 6 digits your app shows now.")
    context = _context(request, title=_("Second factor"), error=error, setting_up=setting_up)
    if settings.DEMO:
        # The demo's visitors have no authenticator at hand: the page shows the current code.
        context["demo_code"] = totp.current_code(secret or user.totp_secret)
    if setting_up:
        uri = totp.provisioning_uri(user, secret)
        context.update(
            qr=mark_safe(totp.qr_svg(uri)),  # noqa: S308 - SVG made by segno from our URI
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        )
    return render(request, "accounts/two_factor.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    """Change one's password; required after an administrator set it or when it expired."""
    reason = password_change_required(request.user)
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        audit_record(user=user, kind="change", obj=user, detail={"password": "changed"})
        step_done(request, "password")
        messages.success(request, _("Your password was changed."))
        return _onward(request)
    return render(
        request,
        "accounts/password_change.html",
        _context(request, title=_("Change password"), form=form, reason=reason),
    )
