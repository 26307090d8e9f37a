"""API tokens for staff apps and machine clients (``Authorization: Bearer <token>``).

A token stands for one user: it has that user's role and scope, nothing more. Only the
SHA-256 of a token is stored; the token is shown once, by ``yemai tokens create``. A camera
worker is a user of role ``centre_operator`` scoped to its town with a token named after it
(docs/api.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from yemai.core import statements

from .models import ApiToken, User

_Scope = User.scope.field.related_model  # the grid node a user's scope is
_LOOKUP_MODELS = (ApiToken, User, _Scope)

PREFIX = "ym_"
# last_used is written at most this often per token: no write on every request.
LAST_USED_EVERY = dt.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns (row, the token itself — shown once, never stored)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Say what will use the token")]})
    if not user.is_active:
        raise ValidationError({"user": [_("This account is not active")]})
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:80], token_hash=token_hash(raw), prefix=raw[:10])
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, now=None) -> ApiToken:
    if token.revoked is None:
        token.revoked = now or timezone.now()
        token.save(update_fields=["revoked"])
    return token


def token_user(raw: str | None, *, now=None) -> User | None:
    """The active user a token stands for, or None (unknown, revoked, inactive user)."""
    if not raw or len(raw) > 200:
        return None
    found = statements.select(_lookup_sql(), [token_hash(raw), True], _LOOKUP_MODELS)
    if found is None:
        return None
    token, user, scope = found
    ApiToken.user.field.set_cached_value(token, user)
    User.scope.field.set_cached_value(user, scope)
    now = now or timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used__isnull=True) | Q(last_used__lt=now - LAST_USED_EVERY)
        ).update(last_used=now)
    return user


def _lookup_sql() -> str:
    """The token with its user and the user's scope, in one statement built once (this runs on
    every API request; the ORM would build it again each time). The hash is unique."""
    return statements.cached_sql(
        "token_user",
        lambda qn: (
            f"SELECT {statements.columns(ApiToken, 't')}, {statements.columns(User, 'u')}, "  # noqa: S608
            f"{statements.columns(_Scope, 'g')} "
            f"FROM {qn(ApiToken._meta.db_table)} t "
            f"INNER JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = t.{qn('user_id')} "
            f"LEFT OUTER JOIN {qn(_Scope._meta.db_table)} g ON g.{qn('id')} = u.{qn('scope_id')} "
            f"WHERE t.{qn('token_hash')} = %s AND t.{qn('revoked')} IS NULL "
            f"AND u.{qn('is_active')} = %s"
        ),
    )


class TokenAuth(HttpBearer):
    """Ninja auth: a valid bearer token signs the request in as its user.

    It sets ``request.user`` too, so handlers (and the scopes) work the same for a session
    and a token. A request that carries a bearer token that is not valid is refused (401)
    rather than tried as a session: a machine client learns its token is wrong.
    """

    def __call__(self, request):
        header = request.headers.get(self.header) or ""
        if not header.lower().startswith("bearer "):
            return None
        return self.authenticate(request, header[7:].strip())

    def authenticate(self, request, token):
        user = token_user(token)
        if user is None:
            raise AuthenticationError
        request.user = user
        request._dont_enforce_csrf_checks = True  # no cookie, no CSRF to forge
        return user
