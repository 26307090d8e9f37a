"""Admin for the grid, scoped like everything else; writes go through the services."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from shapely.geometry import mapping

from yemai.core.admin_base import ScopedModelAdmin
from yemai.core.masking import mask_phone
from yemai.core.validators import normalize_mobile

from . import coords, io, services
from .models import Department, GridNode, ServicePoint, Team, TeamMember


class BoundaryUploadForm(forms.Form):
    file = forms.FileField(label=_("GeoJSON or zipped Shapefile"))
    crs = forms.ChoiceField(
        label=_("coordinate system of the file"),
        choices=[(c, c.upper()) for c in coords.CRS_CHOICES],
        initial=coords.WGS84,
    )
    encoding = forms.CharField(
        label=_("attribute encoding"), required=False, help_text=_("e.g. GBK; empty: detect")
    )
    dry_run = forms.BooleanField(label=_("check only, save nothing"), required=False)


class GridNodeForm(forms.ModelForm):
    class Meta:
        model = GridNode
        fields = ["code", "name", "level", "parent", "village_kind"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and not self.errors:
            try:
                services.grid_node_check_placement(
                    code=data.get("code", ""),
                    level=data.get("level", ""),
                    parent=data.get("parent"),
                )
            except ValidationError as exc:
                self._update_errors(exc)
        return data


@admin.register(GridNode)
class GridNodeAdmin(ScopedModelAdmin):
    form = GridNodeForm
    list_display = ["code", "name", "level", "parent", "area_display"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["path", "area_m2", "boundary_geojson"]
    change_list_template = "admin/grids/gridnode/change_list.html"

    def get_fields(self, request, obj=None):
        return ["code", "name", "level", "parent", "village_kind", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # Code, level and parent hang the subtree's paths together: fixed once created.
        fixed = ["code", "level", "parent"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    @admin.display(description=_("area (m²)"), ordering="area_m2")
    def area_display(self, obj):
        return f"{obj.area_m2:,.0f}" if obj.area_m2 is not None else "-"

    @admin.display(description=_("boundary (GeoJSON, WGS-84)"))
    def boundary_geojson(self, obj):
        geom = obj.geometry if obj else None
        if geom is None:
            return "-"
        text = json.dumps(mapping(geom), ensure_ascii=False, indent=1)
        return format_html('<pre style="max-height:20em;overflow:auto">{}</pre>', text)

    def save_model(self, request, obj, form, change):
        # The form ran the grid rules already, so the services do not refuse here.
        if change:
            services.grid_node_update(node=obj, name=obj.name, village_kind=obj.village_kind)
        else:
            created = services.grid_node_create(
                code=obj.code,
                name=obj.name,
                level=obj.level,
                parent=obj.parent,
                village_kind=obj.village_kind,
            )
            obj.pk, obj.path = created.pk, created.path

    def get_urls(self):
        upload = self.admin_site.admin_view(self.upload_view)
        return [path("upload/", upload, name="grids_gridnode_upload"), *super().get_urls()]

    def upload_view(self, request):
        """Upload boundaries (all or nothing, like ``yemai grids import``)."""
        if not self.has_add_permission(request):
            return redirect("admin:grids_gridnode_changelist")
        form = BoundaryUploadForm(request.POST or None, request.FILES or None)
        report, errors = None, []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = io.grid_boundaries_import(
                    data=upload.read(),
                    filename=upload.name,
                    crs=form.cleaned_data["crs"],
                    encoding=form.cleaned_data["encoding"] or None,
                    user=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ValidationError as exc:
                errors = exc.messages
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Upload grid boundaries"),
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "errors": errors,
        }
        return render(request, "admin/grids/gridnode/upload.html", context)


class TeamMemberForm(forms.ModelForm):
    """The whole phone is never put in the page: a new number replaces it, empty keeps it."""

    new_phone = forms.CharField(label=_("new phone"), required=False, max_length=20)

    class Meta:
        model = TeamMember
        fields = ["name", "user", "is_leader", "duty", "duty_tags", "area_note", "on_duty"]

    def clean_new_phone(self):
        value = self.cleaned_data.get("new_phone")
        return normalize_mobile(value) if value else ""

    def save(self, commit=True):
        member = super().save(commit=False)
        if self.cleaned_data.get("new_phone"):
            member.phone = self.cleaned_data["new_phone"]
        if commit:
            member.save()
        return member


def _users_in_scope(request):
    """Accounts a member row may link to: only people working inside the editor's scope."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.all()
    if getattr(request.user, "is_unrestricted", False):
        return users
    scope = getattr(request.user, "scope", None)
    return users.filter(scope__path__startswith=scope.path) if scope else users.none()


class MemberUserFieldMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = _users_in_scope(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedInlineMixin(MemberUserFieldMixin):
    def _may_edit(self, request) -> bool:
        return bool(getattr(request.user, "can_manage_grids", False))

    def has_view_permission(self, request, obj=None):
        return request.user.is_active

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request)


class TeamMemberInline(ScopedInlineMixin, admin.TabularInline):
    model = TeamMember
    form = TeamMemberForm
    extra = 0
    fields = ["name", "masked_phone", "new_phone", "is_leader", "duty", "duty_tags", "on_duty"]
    readonly_fields = ["masked_phone"]

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone) if obj and obj.pk else "-"


@admin.register(Team)
class TeamAdmin(ScopedModelAdmin):
    list_display = ["grid", "kind", "member_count"]
    list_filter = ["kind"]
    search_fields = ["grid__code", "grid__name"]
    list_select_related = ["grid"]
    inlines = [TeamMemberInline]

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return obj.members.count()


@admin.register(TeamMember)
class TeamMemberAdmin(MemberUserFieldMixin, ScopedModelAdmin):
    form = TeamMemberForm
    list_display = ["name", "team", "masked_phone", "is_leader", "duty", "on_duty"]
    list_filter = ["is_leader", "on_duty", "team__kind"]
    search_fields = ["name", "team__grid__code", "team__grid__name"]
    list_select_related = ["team__grid"]
    readonly_fields = ["masked_phone"]
    fields = ["team", "name", "masked_phone", "new_phone", "user", "is_leader", "duty",
              "duty_tags", "area_note", "on_duty"]  # fmt: skip

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone) if obj and obj.pk else "-"


class ServicePointForm(forms.ModelForm):
    class Meta:
        model = ServicePoint
        fields = ["grid", "name", "address", "lon", "lat", "opening_hours", "phone", "micro_grids"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                services.service_point_check(
                    grid=data["grid"],
                    lon=data["lon"],
                    lat=data["lat"],
                    micro_grids=data.get("micro_grids") or [],
                )
            except ValidationError as exc:
                errors = exc.message_dict
                if "location" in errors:  # not a form field: show it on the coordinates
                    errors["lon"] = errors.pop("location")
                self._update_errors(ValidationError(errors))
        return data


@admin.register(ServicePoint)
class ServicePointAdmin(ScopedModelAdmin):
    form = ServicePointForm
    list_display = ["name", "grid", "address", "opening_hours", "served"]
    search_fields = ["name", "grid__code", "grid__name"]
    list_select_related = ["grid"]
    filter_horizontal = ["micro_grids"]

    @admin.display(description=_("micro-grids served"))
    def served(self, obj):
        return ", ".join(g.name for g in obj.micro_grids.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("micro_grids")


@admin.register(Department)
class DepartmentAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "grid", "phone"]
    search_fields = ["code", "name"]
    list_select_related = ["grid"]
