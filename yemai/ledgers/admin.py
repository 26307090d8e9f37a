"""Admin pages of the ledgers: scoped, personal data masked, saves through the services.

A role that may not see whole personal data sees masked values and cannot change them on an
existing row (it may type them in a new one); a role that may sees them whole on the change
page, and each such view is audited.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yemai.core.admin_base import ScopedModelAdmin
from yemai.core.audit import audit_record

from . import models, services
from .registry import LEDGERS

KIND_OF = {ledger.model: key for key, ledger in LEDGERS.items()}
PII = ("id_number", "phone")


class LedgerAdmin(ScopedModelAdmin):
    edit_permission = "can_manage_people"
    date_hierarchy_field = ""

    def _pii(self):
        return [f for f in PII if any(f == field.name for field in self.model._meta.fields)]

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if obj is not None and not getattr(request.user, "can_reveal_pii", False):
            excluded += self._pii()
        return excluded

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not getattr(request.user, "can_reveal_pii", False):
            fields += [f"{f}_masked" for f in self._pii() if hasattr(self.model, f"{f}_masked")]
        return fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if (
            request.method == "GET"
            and getattr(response, "status_code", 0) == 200
            and self._pii()
            and getattr(request.user, "can_reveal_pii", False)
        ):
            audit_record(
                user=request.user,
                kind="view_pii",
                object_type=self.model._meta.label_lower,
                object_id=str(object_id),
                detail={"fields": self._pii(), "via": "admin"},
            )
        return response

    def save_model(self, request, obj, form, change):
        kind = KIND_OF.get(type(obj))
        if kind is None:
            super().save_model(request, obj, form, change)
            return
        services.ledger_obj_save(kind=kind, user=request.user, obj=obj, created=not change)


class PhotoInline(admin.TabularInline):
    model = models.ActivityPhoto
    extra = 0


class DocumentInline(admin.TabularInline):
    model = models.DeedDocument
    extra = 0


class MemberInline(admin.TabularInline):
    model = models.VolunteerMember
    extra = 0
    fields = ("name", "five_elders", "joined")


@admin.register(models.ActivityType)
class ActivityTypeAdmin(ScopedModelAdmin):
    """The editable list of activity types: not a grid's row, so not scoped; the same
    role checks as the ledgers."""

    edit_permission = "can_manage_people"
    list_display = ("name", "order")
    list_editable = ("order",)

    def get_queryset(self, request):
        return admin.ModelAdmin.get_queryset(self, request)


@admin.register(models.Activity)
class ActivityAdmin(LedgerAdmin):
    list_display = ("date", "type", "title", "grid", "participants", "five_elders", "brochures")
    list_filter = ("type",)
    search_fields = ("title", "place")
    date_hierarchy = "date"
    inlines = [PhotoInline]


@admin.register(models.ActivityPhoto)
class ActivityPhotoAdmin(LedgerAdmin):
    list_display = ("activity", "caption")


@admin.register(models.VolunteerTeam)
class VolunteerTeamAdmin(LedgerAdmin):
    list_display = ("name", "grid", "focus")
    search_fields = ("name",)
    inlines = [MemberInline]


@admin.register(models.VolunteerMember)
class VolunteerMemberAdmin(LedgerAdmin):
    list_display = ("name", "team", "phone_masked", "five_elders")
    search_fields = ("name",)


@admin.register(models.HolidaySchool)
class HolidaySchoolAdmin(LedgerAdmin):
    list_display = ("year", "name", "grid", "students", "teachers", "star_applied")
    list_filter = ("year",)
    search_fields = ("name",)


@admin.register(models.Campaign)
class CampaignAdmin(LedgerAdmin):
    list_display = ("name", "grid", "start", "end")
    search_fields = ("name",)


@admin.register(models.CampaignTarget)
class CampaignTargetAdmin(LedgerAdmin):
    list_display = ("campaign", "grid", "item", "quantity", "unit")


@admin.register(models.CampaignProgress)
class CampaignProgressAdmin(LedgerAdmin):
    list_display = ("date", "target", "quantity")


@admin.register(models.CampaignInspection)
class CampaignInspectionAdmin(LedgerAdmin):
    list_display = ("date", "campaign", "grid", "score")


@admin.register(models.WelfareHousehold)
class WelfareHouseholdAdmin(LedgerAdmin):
    list_display = ("head_name", "kind", "grid", "id_number_masked", "monthly_amount", "state")
    list_filter = ("kind", "state")
    search_fields = ("head_name",)

    @admin.display(description=_("ID number"))
    def id_number_masked(self, obj):
        return obj.id_number_masked


@admin.register(models.WelfareReview)
class WelfareReviewAdmin(LedgerAdmin):
    list_display = ("date", "household", "outcome")


@admin.register(models.ReliefPayment)
class ReliefPaymentAdmin(LedgerAdmin):
    list_display = ("date", "name", "id_number_masked", "amount", "reason")
    search_fields = ("name",)

    @admin.display(description=_("ID number"))
    def id_number_masked(self, obj):
        return obj.id_number_masked


@admin.register(models.Petition)
class PetitionAdmin(LedgerAdmin):
    list_display = ("number", "petitioner", "received_on", "state", "closure_number")
    list_filter = ("state",)
    search_fields = ("number", "petitioner")


@admin.register(models.SafetyInspection)
class SafetyInspectionAdmin(LedgerAdmin):
    list_display = ("date", "place", "grid", "inspectors")
    search_fields = ("place",)


@admin.register(models.Hazard)
class HazardAdmin(LedgerAdmin):
    list_display = ("description", "inspection", "deadline", "case_number", "rectified_on")
    readonly_fields = ("case_number",)


@admin.register(models.GoodDeed)
class GoodDeedAdmin(LedgerAdmin):
    list_display = ("deed_on", "person", "state", "decision_number", "award")
    list_filter = ("state",)
    search_fields = ("person",)
    inlines = [DocumentInline]


@admin.register(models.DeedDocument)
class DeedDocumentAdmin(LedgerAdmin):
    list_display = ("title", "deed")


@admin.register(models.ServiceItem)
class ServiceItemAdmin(LedgerAdmin):
    list_display = ("name", "kind", "grid", "stock")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(models.ServiceRequest)
class ServiceRequestAdmin(LedgerAdmin):
    list_display = ("requested_on", "item", "resident_name", "state", "return_due")
    list_filter = ("state",)
