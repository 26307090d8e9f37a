from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from yemai.core.scoping import RestrictedQuerySet

from .roles import MANAGE_GRIDS, MANAGE_PEOPLE, MANAGE_USERS, READ_AUDIT, REVEAL_PII, Role


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

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username

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
