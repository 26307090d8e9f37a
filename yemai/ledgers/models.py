"""The ledgers (台账) a street office keeps, and that its work report counts.

Every row belongs to a grid node (``grid``: the town, a village or a micro-grid that organised
or owns it) and is scoped by it. Personal data (ID numbers, phones) is encrypted at rest with a
keyed hash where it must be found again, and masked by default.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yemai.core.fields import EncryptedTextField
from yemai.core.masking import mask_id_number, mask_phone
from yemai.core.scoping import RestrictedQuerySet, ScopedModel

from .choices import (
    DeedState,
    PetitionState,
    RequestState,
    ReviewOutcome,
    ServiceKind,
    WelfareKind,
    WelfareState,
)

KEY_PERSON_TAG = "信访重点"  # the restricted tag (yemai.people.choices.RESTRICTED_TAGS)


class MaskedMixin:
    """Masked views of the personal fields a ledger row has (``id_number``, ``phone``)."""

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(getattr(self, "id_number", ""))

    @property
    def phone_masked(self) -> str:
        return mask_phone(getattr(self, "phone", ""))


def _grid(related_name: str, verbose=None):
    return models.ForeignKey(
        "grids.GridNode",
        verbose_name=verbose or _("grid"),
        on_delete=models.PROTECT,
        related_name=related_name,
    )


# --- Activities and volunteers --------------------------------------------------------------


class ActivityType(models.Model):
    """An activity type (活动类型: 亲子阅读, 普法讲座, 网吧巡查 …); the list is editable."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class VolunteerTeam(ScopedModel):
    """A volunteer team (志愿服务队, e.g. 网吧巡逻监督队) of a town or village."""

    grid = _grid("volunteer_teams")
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=60)
    focus = models.CharField(_("focus"), max_length=200, blank=True)
    founded = models.DateField(_("founded"), null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["grid__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="ledgers_team_unique_name")
        ]

    def __str__(self):
        return self.name


class VolunteerMember(MaskedMixin, ScopedModel):
    """A member of a volunteer team; ``five_elders`` marks the 五老 (retired cadres, teachers …)."""

    team = models.ForeignKey(
        VolunteerTeam, verbose_name=_("volunteer team"), on_delete=models.CASCADE,
        related_name="members",
    )  # fmt: skip
    grid = _grid("volunteer_members")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    phone = EncryptedTextField(_("phone"), blank=True)
    five_elders = models.BooleanField(_("five elders"), default=False)
    joined = models.DateField(_("joined"), null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["team", "name"]

    def __str__(self):
        return self.name


class Activity(ScopedModel):
    """An activity (活动): a lecture, a patrol of internet cafés, a parent-child reading …

    The organiser is the grid node, optionally one of its teams or a volunteer team. The counts
    are what the work report adds up: participants, the 五老 among them, the materials handed
    out (宣传资料 册, 横幅 条, 展板 幅).
    """

    type = models.ForeignKey(
        ActivityType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="activities"
    )
    title = models.CharField(_("title"), max_length=120)
    date = models.DateField(_("date"), db_index=True)
    place = models.CharField(_("place"), max_length=120, blank=True)
    grid = _grid("activities", _("organiser"))
    team = models.ForeignKey(
        "grids.Team", verbose_name=_("grid team"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="activities",
    )  # fmt: skip
    volunteer_team = models.ForeignKey(
        VolunteerTeam, verbose_name=_("volunteer team"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="activities",
    )  # fmt: skip
    participants = models.PositiveIntegerField(_("participants"), default=0)
    five_elders = models.PositiveIntegerField(_("five elders taking part"), default=0)
    named_participants = models.TextField(_("named participants"), blank=True)
    brochures = models.PositiveIntegerField(_("brochures handed out"), default=0)  # 册
    banners = models.PositiveIntegerField(_("banners"), default=0)  # 条
    boards = models.PositiveIntegerField(_("display boards"), default=0)  # 幅
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "title"]
        indexes = [models.Index(fields=["date", "type"], name="ledgers_activity_date_type")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.title}"


class ActivityPhoto(ScopedModel):
    """A photo of an activity (活动照片), kept for the ledger and the report's evidence."""

    scope_field = "activity__grid"
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("photo"), upload_to="ledgers/activities/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["activity", "pk"]

    def __str__(self):
        return self.caption or self.image.name


class HolidaySchool(ScopedModel):
    """A summer holiday school (暑期假日学校) of a community in one year."""

    grid = _grid("holiday_schools", _("community"))
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=80)
    students = models.PositiveIntegerField(_("students"), default=0)
    teachers_in_service = models.PositiveIntegerField(_("serving teachers"), default=0)
    teachers_five_elders = models.PositiveIntegerField(_("five-elder teachers"), default=0)
    teachers_volunteers = models.PositiveIntegerField(_("volunteer teachers"), default=0)
    teachers_cadres = models.PositiveIntegerField(_("cadre teachers"), default=0)
    courses = models.TextField(_("courses"), blank=True)
    star_applied = models.PositiveSmallIntegerField(_("star level applied for"), default=0)
    outstanding_volunteers = models.PositiveIntegerField(_("outstanding volunteers"), default=0)
    outstanding_names = models.TextField(_("outstanding volunteers' names"), blank=True)

    class Meta:
        verbose_name = _("holiday school")
        verbose_name_plural = _("holiday schools")
        ordering = ["-year", "grid__code"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "year"], name="ledgers_school_per_year")
        ]

    def __str__(self):
        return f"{self.year} {self.name}"

    @property
    def teachers(self) -> int:
        return (
            self.teachers_in_service
            + self.teachers_five_elders
            + self.teachers_volunteers
            + self.teachers_cadres
        )


# --- Campaigns ------------------------------------------------------------------------------


class Campaign(ScopedModel):
    """A campaign (会战, e.g. 环境卫生整治会战) of a town, with targets per village."""

    grid = _grid("campaigns", _("town"))
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=80)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start", "name"]

    def __str__(self):
        return self.name


class CampaignTarget(ScopedModel):
    """A village's target in a campaign (巷路整修 12 条, 垃圾箱 30 个 …); items are free text."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="targets"
    )
    grid = _grid("campaign_targets", _("village"))
    item = models.CharField(_("item"), max_length=40)
    unit = models.CharField(_("unit"), max_length=10)
    quantity = models.DecimalField(_("target"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["campaign", "grid__code", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "grid", "item"], name="ledgers_target_unique_item"
            )
        ]

    def __str__(self):
        return f"{self.grid} {self.item} {self.quantity}{self.unit}"


class CampaignProgress(ScopedModel):
    """Work done towards a target on one day (进度)."""

    target = models.ForeignKey(
        CampaignTarget, verbose_name=_("target"), on_delete=models.CASCADE,
        related_name="progress",
    )  # fmt: skip
    grid = _grid("campaign_progress", _("village"))
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity done"), max_digits=10, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("campaign progress")
        verbose_name_plural = _("campaign progress")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date} {self.target.item} +{self.quantity}"


class CampaignInspection(ScopedModel):
    """An inspection of a village in a campaign (督查): its score and what must be put right."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE,
        related_name="inspections",
    )  # fmt: skip
    grid = _grid("campaign_inspections", _("village"))
    date = models.DateField(_("date"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    findings = models.TextField(_("findings"), blank=True)
    rectification = models.TextField(_("rectification required"), blank=True)  # 整改意见

    class Meta:
        verbose_name = _("campaign inspection")
        verbose_name_plural = _("campaign inspections")
        ordering = ["-date", "grid__code"]

    def __str__(self):
        return f"{self.date} {self.grid} {self.score}"


# --- Welfare --------------------------------------------------------------------------------


class WelfareHousehold(MaskedMixin, ScopedModel):
    """A household on 低保 or 特困 support: entry, periodic review, exit."""

    grid = _grid("welfare_households")
    kind = models.CharField(_("kind"), max_length=10, choices=WelfareKind.choices)
    head_name = models.CharField(_("head of household"), max_length=50)
    id_number = EncryptedTextField(_("ID number"))
    id_number_hash = models.CharField(max_length=64, editable=False, db_index=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    members = models.PositiveSmallIntegerField(_("persons"), default=1)
    monthly_amount = models.DecimalField(
        _("monthly amount (yuan)"), max_digits=10, decimal_places=2
    )
    entered_on = models.DateField(_("entered on"))
    state = models.CharField(
        _("state"), max_length=10, choices=WelfareState.choices, default=WelfareState.ACTIVE
    )
    exited_on = models.DateField(_("exited on"), null=True, blank=True)
    exit_reason = models.CharField(_("exit reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("welfare household")
        verbose_name_plural = _("welfare households")
        ordering = ["grid__code", "head_name"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.head_name}"


class WelfareReview(ScopedModel):
    """A periodic review of a welfare household (定期复核)."""

    household = models.ForeignKey(
        WelfareHousehold, verbose_name=_("welfare household"), on_delete=models.CASCADE,
        related_name="reviews",
    )  # fmt: skip
    grid = _grid("welfare_reviews")
    date = models.DateField(_("date"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=ReviewOutcome.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("welfare review")
        verbose_name_plural = _("welfare reviews")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date} {self.household.head_name} {self.get_outcome_display()}"


class ReliefPayment(MaskedMixin, ScopedModel):
    """A temporary relief payment (临时救助)."""

    grid = _grid("relief_payments")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number = EncryptedTextField(_("ID number"))
    date = models.DateField(_("date"), db_index=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("relief payment")
        verbose_name_plural = _("relief payments")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date} {self.name} {self.amount}"


# --- Petitions ------------------------------------------------------------------------------


class PetitionQuerySet(RestrictedQuerySet):
    def restrict(self, user):
        """The grid scope, less the key persons' petitions unless the user was granted the tag."""
        qs = super().restrict(user)
        if getattr(user, "is_unrestricted", False):
            return qs
        if KEY_PERSON_TAG in (getattr(user, "granted_tags", None) or []):
            return qs
        return qs.exclude(key_person=True)


class Petition(MaskedMixin, ScopedModel):
    """A petition (信访件): registered, handled, closed by 销号 with its number."""

    objects = PetitionQuerySet.as_manager()

    grid = _grid("petitions")
    number = models.CharField(_("petition number"), max_length=40, unique=True)
    petitioner = models.CharField(_("petitioner"), max_length=50)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    id_number_hash = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    received_on = models.DateField(_("received on"), db_index=True)
    subject = models.TextField(_("subject"))
    key_person = models.BooleanField(
        _("key person"),
        default=False,
        help_text=_("Key persons are visible only to users granted the restricted tag."),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=PetitionState.choices, default=PetitionState.REGISTERED
    )
    handling = models.TextField(_("handling"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_number = models.CharField(_("cancellation number"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-received_on", "number"]

    def __str__(self):
        return self.number


# --- Safety inspections ---------------------------------------------------------------------


class SafetyInspection(ScopedModel):
    """A safety inspection (安全检查) of a place."""

    grid = _grid("safety_inspections")
    place = models.CharField(_("place"), max_length=120)
    date = models.DateField(_("date"), db_index=True)
    inspectors = models.CharField(_("inspectors"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("safety inspection")
        verbose_name_plural = _("safety inspections")
        ordering = ["-date", "place"]

    def __str__(self):
        return f"{self.date} {self.place}"


class Hazard(ScopedModel):
    """A hazard found in an inspection (隐患); each becomes a case of the closed loop."""

    inspection = models.ForeignKey(
        SafetyInspection, verbose_name=_("safety inspection"), on_delete=models.CASCADE,
        related_name="hazards",
    )  # fmt: skip
    grid = _grid("hazards")
    description = models.TextField(_("description"))
    deadline = models.DateField(_("rectification deadline"))
    case_number = models.CharField(_("case number"), max_length=40, blank=True)
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["deadline"]

    def __str__(self):
        return self.description[:40]


# --- Good-samaritan deeds -------------------------------------------------------------------


class GoodDeed(MaskedMixin, ScopedModel):
    """A good-samaritan deed (见义勇为): registration → investigation → decision → commendation."""

    grid = _grid("good_deeds")
    person = models.CharField(_("person"), max_length=50)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    deed_on = models.DateField(_("date of the deed"), db_index=True)
    description = models.TextField(_("description"))
    state = models.CharField(
        _("state"), max_length=14, choices=DeedState.choices, default=DeedState.REGISTERED
    )
    investigation = models.TextField(_("investigation"), blank=True)
    decision_number = models.CharField(_("decision number"), max_length=40, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    commendation = models.CharField(_("commendation"), max_length=120, blank=True)
    award = models.DecimalField(
        _("award (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("good-samaritan deed")
        verbose_name_plural = _("good-samaritan deeds")
        ordering = ["-deed_on"]

    def __str__(self):
        return f"{self.deed_on} {self.person}"


class DeedDocument(ScopedModel):
    """A document of a deed (调查材料, 确认决定书, 表彰文件)."""

    scope_field = "deed__grid"
    deed = models.ForeignKey(
        GoodDeed, verbose_name=_("good-samaritan deed"), on_delete=models.CASCADE,
        related_name="documents",
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(_("file"), upload_to="ledgers/deeds/%Y/")

    class Meta:
        verbose_name = _("deed document")
        verbose_name_plural = _("deed documents")
        ordering = ["deed", "pk"]

    def __str__(self):
        return self.title


# --- Service catalogue ----------------------------------------------------------------------


class ServiceItem(ScopedModel):
    """An item of the service catalogue (配送清单) of a service point's grid node."""

    grid = _grid("service_items")
    kind = models.CharField(_("kind"), max_length=10, choices=ServiceKind.choices)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=80)
    description = models.CharField(_("description"), max_length=200, blank=True)
    stock = models.PositiveSmallIntegerField(_("items to lend"), default=0)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service catalogue")
        ordering = ["grid__code", "kind", "name"]

    def __str__(self):
        return self.name


class ServiceRequest(MaskedMixin, ScopedModel):
    """A resident's request from the catalogue; a shared tool is lent with a return date."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("service item"), on_delete=models.PROTECT,
        related_name="requests",
    )  # fmt: skip
    grid = _grid("service_requests")
    resident_name = models.CharField(_("resident"), max_length=50)
    phone = EncryptedTextField(_("phone"), blank=True)
    requested_on = models.DateField(_("requested on"), db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=RequestState.choices, default=RequestState.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    return_due = models.DateField(_("return due"), null=True, blank=True)
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-requested_on"]

    def __str__(self):
        return f"{self.requested_on} {self.item} {self.resident_name}"
