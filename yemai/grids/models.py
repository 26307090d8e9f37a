from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yemai.core.fields import EncryptedTextField
from yemai.core.scoping import RestrictedQuerySet, ScopedModel

from .choices import Level, TeamKind, VillageKind


class GridNode(ScopedModel):
    """A node of the three-tier grid: town total grid (镇总网格), village/community grid (村居网格)
    or micro-grid (微网格).

    ``path`` is materialized (``/1/7/42/``) so a subtree is one ``startswith``; boundaries are
    WGS-84 polygons stored as WKB and served to ``locate`` from an in-process index.
    """

    scope_field = "self"

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    village_kind = models.CharField(
        _("village kind"), max_length=10, choices=VillageKind.choices, blank=True
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    boundary = models.BinaryField(_("boundary (WKB, WGS-84)"), null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    area_m2 = models.FloatField(_("area (m²)"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def geometry(self):
        """The boundary as a shapely geometry, or None."""
        if not self.boundary:
            return None
        import shapely

        return shapely.from_wkb(bytes(self.boundary))

    def is_ancestor_of(self, other: GridNode) -> bool:
        return other.path.startswith(self.path)


class Department(ScopedModel):
    """A line department (条线部门: 城管, 市场监管, 派出所 …) that takes cases the grid cannot solve."""

    grid = models.ForeignKey(
        GridNode, verbose_name=_("town"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("office phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "code"], name="department_code_unique")
        ]

    def __str__(self):
        return self.name


class Team(ScopedModel):
    """One of a micro-grid's three teams: management (管理团队), work (工作团队), volunteer (志愿团队)."""

    grid = models.ForeignKey(
        GridNode, verbose_name=_("micro-grid"), on_delete=models.CASCADE, related_name="teams"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=TeamKind.choices)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["grid__code", "kind"]
        constraints = [models.UniqueConstraint(fields=["grid", "kind"], name="team_kind_unique")]

    def __str__(self):
        return f"{self.grid.name} {self.get_kind_display()}"


class TeamMember(ScopedModel):
    """A named member of a team, with a duty and an optional responsibility area (分片包干)."""

    scope_field = "team__grid"

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team_memberships",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    phone = EncryptedTextField(_("phone"), blank=True)
    is_leader = models.BooleanField(_("team leader"), default=False)
    duty = models.CharField(_("duty"), max_length=200, blank=True)
    duty_tags = models.JSONField(_("duty tags"), default=list, blank=True)
    area = models.BinaryField(_("responsibility area (WKB)"), null=True, blank=True)
    area_note = models.CharField(_("responsibility area"), max_length=200, blank=True)
    on_duty = models.BooleanField(_("on duty"), default=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "-is_leader", "name"]

    def __str__(self):
        return self.name


class ServicePoint(ScopedModel):
    """A party-and-people service point (党群服务点) serving one or more micro-grids."""

    grid = models.ForeignKey(
        GridNode,
        verbose_name=_("village/community"),
        on_delete=models.PROTECT,
        related_name="service_points",
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    micro_grids = models.ManyToManyField(
        GridNode, verbose_name=_("micro-grids served"), related_name="served_by", blank=True
    )

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["grid__code", "name"]

    def __str__(self):
        return self.name


__all__ = ["GridNode", "Department", "Team", "TeamMember", "ServicePoint", "RestrictedQuerySet"]
