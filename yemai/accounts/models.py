from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yemai.core.fields import EncryptedTextField
from yemai.core.scoping import RestrictedQuerySet

from .roles import (
    ADMINISTRATORS,
    MANAGE_GRIDS,
    MANAGE_PEOPLE,
    MANAGE_USERS,
    READ_AUDIT,
    REVEAL_PII,
    Role,
)


class ScopedUserManager(UserManager.from_queryset(RestrictedQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in. Everything they see is limited to ``scope`` and its subtree."""

    scope_field = "scope"

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    scope = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("scope"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("The grid node this user works in; they see only its subtree."),
    )
    department = models.ForeignKey(
        "grids.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaisons",
    )
    granted_tags = models.JSONField(
        _("restricted tags granted"),
        default=list,
        blank=True,
        help_text=_("Restricted tags (社区矫正, 吸毒 …) this user may see people under."),
    )

    # Security baseline (core.security): when the password was last set, whether its holder
    # must change it at the next sign-in (set by an administrator), and the second factor.
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set when an administrator sets the password: changed at the next sign-in."),
    )
    totp_secret = EncryptedTextField(_("authenticator secret"), blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(
        _("authenticator set up"), null=True, blank=True, editable=False
    )
    totp_last_step = models.BigIntegerField(default=0, editable=False)

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()
        self.must_change_password = False

    @property
    def needs_second_factor(self) -> bool:
        """Administrators and every role that may see whole personal data sign in with TOTP."""
        return bool(self.is_superuser or self.role in ADMINISTRATORS or self.role in REVEAL_PII)

    @property
    def is_unrestricted(self) -> bool:
        """Only a superuser with no scope sees everything (set-up and operations)."""
        return self.is_superuser and self.scope_id is None

    @property
    def can_reveal_pii(self) -> bool:
        return self.is_active and self.role in REVEAL_PII

    @property
    def can_manage_people(self) -> bool:
        return self.is_active and (self.role in MANAGE_PEOPLE or self.is_unrestricted)

    @property
    def can_manage_grids(self) -> bool:
        return self.is_active and (self.role in MANAGE_GRIDS or self.is_unrestricted)

    @property
    def can_read_audit(self) -> bool:
        return self.is_active and self.role in READ_AUDIT

    @property
    def can_manage_users(self) -> bool:
        return self.is_active and (self.role in MANAGE_USERS or self.is_unrestricted)


# --- API tokens (cases-api helper) -------------------------------------------------------------


class ApiToken(models.Model):
    """A bearer token for a staff app or a machine client (camera worker, Open311 app).

    Only the SHA-256 of the token is stored: the token itself is shown once, when it is made
    (``yemai tokens create``). A request with ``Authorization: Bearer <token>`` acts as
    ``user``, with that user's role and scope; revoking the token ends that at once.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        _("name"), max_length=80, help_text=_("What uses it, e.g. camera worker")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["user", "-created"]

    def __str__(self):
        return f"{self.user} / {self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked is None and self.user.is_active


class PasswordHistory(models.Model):
    """Hashes of a user's earlier passwords, so the last few are not used again."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("earlier password")
        verbose_name_plural = _("earlier passwords")
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.user_id} {self.created:%Y-%m-%d}"


class LoginLock(models.Model):
    """Failed sign-ins counted per account name and per client address (登录失败处理).

    ``key`` is ``user:<name>`` or ``addr:<address>``; counted whether or not the account
    exists, so a lock says nothing about which names are real.
    """

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")
        ordering = ["-last_failure"]

    def __str__(self):
        return self.key
