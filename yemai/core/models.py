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


class Task(models.Model):
    """A durable background task (后台任务): one row per call, run by a worker.

    Written by ``core.tasks.task_enqueue`` inside the caller's transaction, so a task exists
    exactly when the change that asked for it does. A runner claims a due row with a
    conditional UPDATE (a lease: ``claimed_until``), runs the registered function, and marks
    it done, schedules a retry, or gives up (dead; kept for the admin to retry).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        DEAD = "dead", _("Dead")

    name = models.CharField(_("task"), max_length=100, db_index=True)
    args = models.JSONField(_("arguments"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    run_at = models.DateTimeField(_("run at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("max attempts"), default=10)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=120, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # At most one pending task per key: enqueueing again while one waits or runs returns it
    # and bumps ``requeued`` (a running task then runs once more, so no wake-up is lost).
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, null=True, blank=True)
    requeued = models.PositiveIntegerField(_("enqueued again"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("background task")
        verbose_name_plural = _("background tasks")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=models.Q(state="pending"),
                name="core_task_dedupe_pending",
            )
        ]
        indexes = [
            models.Index(
                fields=["run_at"], condition=models.Q(state="pending"), name="core_task_due"
            )
        ]

    def __str__(self):
        return f"{self.name} #{self.pk} ({self.state})"
