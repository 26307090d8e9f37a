from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yemai.core.fields import EncryptedTextField
from yemai.core.masking import mask_address, mask_id_number, mask_phone
from yemai.core.scoping import RestrictedQuerySet, ScopedModel

from .choices import HouseUse, ImportJobState, LedgerKind, OrganisationKind, Registration, Sex


class House(ScopedModel):
    """A house or flat (房屋): its exact address is personal data, its micro-grid comes from locate."""

    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("micro-grid"),
        on_delete=models.PROTECT,
        related_name="houses",
    )
    code = models.CharField(_("house code"), max_length=40, unique=True)
    address = EncryptedTextField(_("address"))
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    use = models.CharField(_("use"), max_length=10, choices=HouseUse.choices, default=HouseUse.OWN)
    landlord = models.ForeignKey(
        "people.Resident",
        verbose_name=_("landlord"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="houses_let",
    )

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        ordering = ["code"]

    def __str__(self):
        return self.code

    @property
    def address_masked(self) -> str:
        return mask_address(self.address)


class Household(ScopedModel):
    """A household (户): the people registered together, usually in one house."""

    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("micro-grid"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    number = models.CharField(_("household number"), max_length=40, unique=True)
    house = models.ForeignKey(
        House,
        verbose_name=_("house"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]

    def __str__(self):
        return self.number


class Tag(models.Model):
    """A care tag (独居老人, 低保 …) or a restricted tag (社区矫正, 吸毒 …)."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_("People with a restricted tag are visible only to users granted it."),
    )

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["restricted", "name"]

    def __str__(self):
        return self.name


class ResidentQuerySet(RestrictedQuerySet):
    def restrict(self, user):
        """The grid scope, less anyone under a restricted tag the user was not granted."""
        qs = super().restrict(user)
        if getattr(user, "is_unrestricted", False):
            return qs
        granted = list(getattr(user, "granted_tags", None) or [])
        hidden = Tag.objects.filter(restricted=True).exclude(name__in=granted)
        return qs.exclude(tags__in=hidden)


class Resident(ScopedModel):
    """A resident (实有人口). ID number, phone and address are encrypted; searched by keyed hash."""

    objects = ResidentQuerySet.as_manager()

    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("micro-grid"),
        on_delete=models.PROTECT,
        related_name="residents",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, db_index=True)
    id_number = EncryptedTextField(_("ID number"))
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    registration = models.CharField(
        _("registration"),
        max_length=10,
        choices=Registration.choices,
        default=Registration.HOUSEHOLD,
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    house = models.ForeignKey(
        House,
        verbose_name=_("house"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="residents")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["grid__code", "name", "id"]

    def __str__(self):
        # The name only: ID number and phone never reach a log line or a select box whole.
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class Organisation(ScopedModel):
    """A shop, enterprise or internet café, with its place on the map."""

    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("micro-grid"),
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=15, choices=OrganisationKind.choices)
    credit_code = models.CharField(_("credit code"), max_length=18, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["grid__code", "name"]

    def __str__(self):
        return self.name

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)


class ImportJob(ScopedModel):
    """An Excel import running in the background (导入任务): the check of an uploaded file
    (``dry_run``) or the confirmed import that writes it; who started it, how far it has got,
    and what it did.

    The uploaded file waits in ``upload``, encrypted like every other personal datum (it holds
    ID numbers). An import empties it when it ends, done or failed; a check keeps it only while
    it awaits confirmation (an hour at most), then hands it to the import. The job belongs to
    the scope of the user who started it: that user, and anyone who may manage people over
    that scope, may watch it.
    """

    scope_field = "scope"

    kind = models.CharField(_("ledger"), max_length=20, choices=LedgerKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scope = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("scope"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filename = models.CharField(_("file"), max_length=255, blank=True)
    dry_run = models.BooleanField(
        _("check only"),
        default=False,
        help_text=_("A check reads and validates every row and writes nothing."),
    )
    source_check = models.ForeignKey(
        "self",
        verbose_name=_("check"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
        help_text=_("The check whose file this import writes."),
    )
    awaiting_confirmation = models.BooleanField(
        _("awaiting confirmation"),
        default=False,
        help_text=_("A finished check whose file waits for its user to confirm the import."),
    )
    skip_bad_rows = models.BooleanField(_("skip bad rows"), default=False)
    key = models.CharField(_("update key"), max_length=60, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ImportJobState.choices, default=ImportJobState.WAITING
    )
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    upload = EncryptedTextField(_("uploaded file"), blank=True, editable=False)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.filename} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (ImportJobState.DONE, ImportJobState.FAILED)
