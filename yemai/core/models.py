from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One audited action: a whole view of personal data, an export, an import, a change.

    Written only through ``core.audit.audit_record``; the application never updates or deletes
    these rows (the admin offers no change or delete).
    """

    class Kind(models.TextChoices):
        VIEW_PII = "view_pii", _("Whole personal data viewed")
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import")
        CHANGE = "change", _("Change")
        DELETE = "delete", _("Deletion")
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logout")
        PERMISSION = "permission", _("Permission change")
        CONFIG = "config", _("Configuration change")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip = models.CharField(_("address"), max_length=64, blank=True)
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, default="ok")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.kind} {self.object_type}"
