"""Second factor: TOTP (RFC 6238, 30-second codes from an authenticator app).

The secret is stored encrypted (``User.totp_secret``, an EncryptedTextField). A code is
accepted once: the time step it belongs to is remembered, so a code seen over a shoulder or
in a log cannot be replayed. Setting up shows a QR code drawn as inline SVG (no script).
"""

from __future__ import annotations

import hmac
import io

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone

VALID_WINDOW = 1  # accept the code of the step before and after (clock drift ±30 s)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=settings.TOTP_ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline <svg> element."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = int(timezone.now().timestamp()) // totp.interval
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def totp_verify(user, code: str, *, secret: str | None = None) -> bool:
    """Check ``code`` against the user's secret (or ``secret`` while setting up), once."""
    secret = secret or user.totp_secret
    if not secret:
        return False
    step = _matching_step(secret, code)
    if step is None:
        return False
    from django.contrib.auth import get_user_model

    User = get_user_model()
    with transaction.atomic():
        # Refuse a step at or before the last one used: no replay, even across processes.
        updated = User._base_manager.filter(pk=user.pk, totp_last_step__lt=step).update(
            totp_last_step=step
        )
    if updated:
        user.totp_last_step = step
    return bool(updated)


def totp_enrol(user, *, secret: str) -> None:
    user.totp_secret = secret
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])


def totp_reset(user) -> None:
    """Forget the user's authenticator: they set up a new one at the next sign-in."""
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.totp_last_step = 0
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])


def current_code(secret: str) -> str:
    """The code an authenticator shows now (the demo prints it; nothing else may)."""
    return pyotp.TOTP(secret).now() if secret else ""
