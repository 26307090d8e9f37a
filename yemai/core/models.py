from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit record."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit log is append-only: records cannot be changed.")

    def delete(self):
        raise AppendOnlyError("The audit log is append-only: records cannot be deleted.")

    def _purge_expired(self) -> int:
        """Only ``core.audit.audit_purge`` calls this, for records past the retention."""
        return super().delete()[0]


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

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # The acting user's id, not a foreign key: deleting (or resetting) users must never touch
    # (UPDATE) audit records, which the database refuses, and the id is part of the hash.
    user_id = models.BigIntegerField(_("user id"), null=True, blank=True, db_index=True)
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip = models.CharField(_("address"), max_length=64, blank=True)
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, default="ok")
    # Tamper evidence: each record holds the hash of the record before it and its own hash
    # over its content and that link (core.audit.record_hash); ``yemai audit verify`` walks it.
    # The unique link means two writers can never both extend the same record (no fork).
    prev_hash = models.CharField(_("previous hash"), max_length=64, unique=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.kind} {self.object_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(_("The audit log is append-only: records cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("The audit log is append-only: records cannot be deleted."))

    @property
    def user(self):
        """The acting user (None when unknown or since deleted)."""
        if self.user_id is None:
            return None
        cached = getattr(self, "_user_cache", None)
        if cached is None or cached.pk != self.user_id:
            from django.contrib.auth import get_user_model

            cached = get_user_model()._base_manager.filter(pk=self.user_id).first()
            self._user_cache = cached
        return cached

    @user.setter
    def user(self, value):
        self.user_id = value.pk if value is not None else None
        self._user_cache = value


class AuditChain(models.Model):
    """The one row that serialises writers of the audit log and anchors its hash chain.

    Every ``audit_record`` locks this row (SELECT … FOR UPDATE), links the new record to
    ``last_hash`` and moves it on, so concurrent requests write one chain. ``anchor_hash`` is
    the ``prev_hash`` of the oldest kept record: a purge of expired records moves it forward,
    and verification starts from it.
    """

    last_hash = models.CharField(max_length=64, default=GENESIS)
    last_id = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, default=GENESIS)
    anchor_id = models.BigIntegerField(default=0)
    purged = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self):
        return f"audit chain at #{self.last_id}"


class RateBucket(models.Model):
    """Requests one client address made to one rate-limited path prefix in one time window.

    A table rather than a process cache, so the limit holds across page-server processes and
    on SQLite and PostgreSQL alike (core.security.ratelimit)."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField(db_index=True)
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate limit counter")
        verbose_name_plural = _("rate limit counters")

    def __str__(self):
        return f"{self.key}: {self.hits}"


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
