"""The closed loop's tables: categories, cases, their history, photos, ratings, calendar."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yemai.core.fields import EncryptedTextField
from yemai.core.scoping import RestrictedQuerySet, ScopedModel

from .choices import (
    OPEN_STATES,
    Action,
    CategoryKind,
    Clock,
    Fixed,
    PhotoKind,
    Priority,
    RejectReason,
    Source,
    State,
)


class Category(models.Model):
    """A category of events or components (事件/部件): two levels, the second carries the rules.

    Categories are the same for the whole installation (the centre edits them), so they are not
    scoped; the department that owns a subcategory is.
    """

    parent = models.ForeignKey(
        "self",
        verbose_name=_("main category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(
        _("kind"), max_length=10, choices=CategoryKind.choices, default=CategoryKind.EVENT
    )
    department = models.ForeignKey(
        "grids.Department",
        verbose_name=_("owning department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="categories",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    # Time limits in working hours (工作时); 0 means the step has no clock.
    accept_hours = models.DecimalField(
        _("hours to accept"), max_digits=6, decimal_places=2, default=1
    )
    handle_hours = models.DecimalField(
        _("hours to handle"), max_digits=6, decimal_places=2, default=8
    )
    verify_hours = models.DecimalField(
        _("hours to verify"), max_digits=6, decimal_places=2, default=4
    )
    rating_asked = models.BooleanField(_("ask the resident to rate"), default=True)
    after_photo_required = models.BooleanField(_("after-photo required"), default=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    sort = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort", "code"]

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    @property
    def is_leaf(self) -> bool:
        return self.parent_id is not None

    def hours_for(self, clock: str):
        return {
            Clock.ACCEPT: self.accept_hours,
            Clock.HANDLE: self.handle_hours,
            Clock.VERIFY: self.verify_hours,
        }[clock]


class CaseQuerySet(RestrictedQuerySet):
    def restrict(self, user, *, grid_ids: list[int] | None = None):
        """The grid scope; a department liaison sees only the cases given to their department.

        ``grid_ids``: the ids of grid nodes the caller has already restricted to the user's
        scope (``GridNode.objects.restrict(user)``); the cases are then filtered by those ids
        instead of joining the grids by path, which lets the planner estimate the rows from
        the cases' own statistics (the metrics over a million cases rely on it).
        """
        qs = super().restrict(user) if grid_ids is None else self.filter(grid_id__in=grid_ids)
        if getattr(user, "role", "") == "department":
            return qs.filter(department_id=user.department_id) if user.department_id else qs.none()
        return qs


class Case(ScopedModel):
    """A case (案卷): one problem from discovery to the resident's rating.

    ``grid`` is the micro-grid the location falls in, or the town (the centre's queue) when it
    falls in none. Deadlines are columns (``due_at`` for the running step), polled by the
    deadline worker with a conditional UPDATE claim.
    """

    objects = CaseQuerySet.as_manager()

    number = models.CharField(_("case number"), max_length=24, unique=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    description = models.TextField(_("description"), max_length=2000)
    address = models.CharField(_("place"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    input_crs = models.CharField(_("input coordinates"), max_length=8, default="wgs84")
    grid = models.ForeignKey(
        "grids.GridNode", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="cases"
    )

    # Who raised it. A resident has no account: name and phone (encrypted), and the tracking
    # code they are given; staff and machine clients are users.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_reported",
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = EncryptedTextField(_("reporter's phone"), blank=True)
    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    idempotency_key = models.CharField(
        max_length=200, null=True, blank=True, unique=True, editable=False
    )

    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.REPORTED, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_assigned",
    )
    department = models.ForeignKey(
        "grids.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    reject_reason = models.CharField(
        _("reason for rejection"), max_length=15, blank=True, choices=RejectReason.choices
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_cases",
    )
    parked_from = models.CharField(max_length=12, blank=True, editable=False)
    park_reason = models.CharField(_("reason for parking"), max_length=200, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("rework count"), default=0)

    # The running clock: which step, since when, its limit and deadline (working time).
    clock = models.CharField(_("clock"), max_length=8, choices=Clock.choices, blank=True)
    clock_started_at = models.DateTimeField(null=True, blank=True)
    limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)  # 80 % of the limit: yellow
    due_at = models.DateTimeField(_("due"), null=True, blank=True)  # 100 %: red
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    warned = models.BooleanField(default=False)
    deadline_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    # A timestamp per state (Dispatch's pattern): the metrics read these.
    reported_at = models.DateTimeField(_("reported"), db_index=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    handled_on_time = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The resident's rating link: only a hash of the token is kept.
    rating_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # Totals of the case's ratings (kept with each rating, rating.rating_save), so the metrics
    # count satisfaction in their one scan of the cases instead of joining every rating.
    ratings_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    ratings_score_sum = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    ratings_satisfied = models.PositiveIntegerField(
        default=0, db_default=0, editable=False
    )  # scored 4 or 5

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="case_open_due_idx",
                condition=models.Q(state__in=sorted(OPEN_STATES)),
            ),
            models.Index(fields=["grid", "state"], name="case_grid_state_idx"),
            models.Index(fields=["category", "reported_at"], name="case_category_time_idx"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CaseEvent(models.Model):
    """One step of a case's history: who did what, when, where, with which note and photos."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=12, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=State.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by (label)"), max_length=80, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.case.number} {self.action}"


class CasePhoto(models.Model):
    """A photo of a case, checked by content; the public copy has no EXIF (no GPS)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PhotoKind.choices)
    original = models.FileField(_("original"), upload_to="cases/original/%Y/%m/")
    public = models.FileField(_("public copy"), upload_to="cases/public/%Y/%m/")
    thumbnail = models.FileField(_("thumbnail"), upload_to="cases/thumb/%Y/%m/")
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"{self.case.number} {self.kind}"


class Rating(models.Model):
    """The resident's rating of a closed case, or a phone follow-up (回访) recorded by staff."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField(_("satisfaction (1–5)"))
    fixed = models.CharField(_("is it fixed?"), max_length=8, choices=Fixed.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    by_phone = models.BooleanField(_("phone follow-up"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.case.number} {self.score}"


class Holiday(models.Model):
    """A day off that would be a working day (节假日), or a working weekend day (调休上班)."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Ticked for a weekend day that is worked (调休)."),
    )
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class DutyShift(ScopedModel):
    """A duty roster entry (值班表): this member is on duty for routing on these days.

    A member with no entries at all is on duty every day (while ``TeamMember.on_duty``).
    """

    scope_field = "member__team__grid"

    member = models.ForeignKey(
        "grids.TeamMember",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="shifts",
    )
    weekdays = models.JSONField(_("weekdays (1=Monday … 7=Sunday)"), default=list, blank=True)
    date = models.DateField(_("single date"), null=True, blank=True)

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")
        ordering = ["member", "date"]

    def __str__(self):
        return f"{self.member} {self.date or self.weekdays}"

    def covers(self, day) -> bool:
        return self.date == day if self.date else day.isoweekday() in (self.weekdays or [])


__all__ = [
    "Category",
    "Case",
    "CaseEvent",
    "CasePhoto",
    "Rating",
    "Holiday",
    "DutyShift",
    "Action",
    "Source",
    "State",
    "Clock",
    "Fixed",
    "PhotoKind",
    "RejectReason",
    "Priority",
    "CategoryKind",
]
