"""Admin of the people registry: scoped, masked, and every save through the services.

Lists show ID numbers, phones and addresses masked; the change page shows them masked too,
with an empty input to replace them (see ``admin_forms``). A role that may see whole data
gets a "show whole" link to an audited page. Search by name, or by an exact ID number or
phone through the hash columns (the table is never decrypted to search it).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yemai.core.admin_base import ScopedModelAdmin

from . import selectors
from .admin_forms import (
    HouseAdminForm,
    HouseholdAdminForm,
    OrganisationAdminForm,
    ResidentAdminForm,
)
from .admin_views import LedgerAdminMixin
from .models import House, Household, Organisation, Resident, Tag


class PeopleModelAdmin(LedgerAdminMixin, ScopedModelAdmin):
    """Saves through ``form.apply()`` (a service call with the acting user)."""

    edit_permission = "can_manage_people"
    replace_fields: tuple[str, ...] = ()  # form-only inputs that replace personal data

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"acting_user": request.user})

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not self.has_change_permission(request, obj):
            # View-only: no inputs, only the model fields and the masked displays.
            fields = [f for f in fields if f not in self.replace_fields]
        return fields

    def save_model(self, request, obj, form, change):
        saved = form.apply()
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # Tags and other relations were written by the service; only inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        self.delete_service(obj=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_service(obj=obj, user=request.user)

    def delete_service(self, *, obj, user):  # pragma: no cover - abstract
        raise NotImplementedError


class TagListFilter(admin.SimpleListFilter):
    title = _("tag")
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return [(t.name, t.name) for t in selectors.tag_list(user=request.user)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tags__name=self.value()).distinct()
        return queryset


@admin.register(Resident)
class ResidentAdmin(PeopleModelAdmin):
    form = ResidentAdminForm
    ledger_kind = "residents"
    reveal_fields = ("id_number", "phone")
    list_display = [
        "name",
        "masked_id_number",
        "sex",
        "birth_date",
        "masked_phone",
        "grid",
        "registration",
        "tag_names",
    ]
    list_filter = ["registration", TagListFilter]
    list_select_related = ["grid"]
    search_fields = ["name"]  # shows the box; get_search_results does the work
    search_help_text = _("Name, or a whole ID number or phone number.")
    readonly_fields = ["masked_id_number", "masked_phone", "birth_date", "sex"]
    replace_fields = ("id_number_new", "phone_new", "clear_phone")
    fields = [
        "name",
        "masked_id_number",
        "id_number_new",
        "birth_date",
        "sex",
        "masked_phone",
        "phone_new",
        "clear_phone",
        "grid",
        "registration",
        "household",
        "house",
        "tags",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return obj.id_number_masked if obj and obj.pk else "—"

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return obj.phone_masked if obj and obj.pk else "—"

    @admin.display(description=_("tags"))
    def tag_names(self, obj):
        return "、".join(t.name for t in obj.tags.all())

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        return queryset.filter(selectors.resident_search_q(term)), False

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tags":
            kwargs["queryset"] = selectors.tag_list(user=request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def delete_service(self, *, obj, user):
        from .services import resident_delete

        resident_delete(resident=obj, user=user)


@admin.register(House)
class HouseAdmin(PeopleModelAdmin):
    form = HouseAdminForm
    ledger_kind = "houses"
    reveal_fields = ("address",)
    list_display = ["code", "masked_address", "grid", "use", "landlord_name"]
    list_filter = ["use"]
    list_select_related = ["grid", "landlord"]
    search_fields = ["code"]
    readonly_fields = ["masked_address", "landlord_name"]
    replace_fields = ("address_new",)
    fields = ["code", "masked_address", "address_new", "lon", "lat", "grid", "use", "landlord"]

    def get_queryset(self, request):
        return selectors.with_landlord_visible(super().get_queryset(request), request.user)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if not self.has_change_permission(request, obj):
            # Read-only pages name the landlord only when the viewer may see them.
            fields = ["landlord_name" if f == "landlord" else f for f in fields]
        return fields

    @admin.display(description=_("address"))
    def masked_address(self, obj):
        return obj.address_masked if obj and obj.pk else "—"

    @admin.display(description=_("landlord"))
    def landlord_name(self, obj):
        landlord = selectors.landlord_for(obj) if obj and obj.pk else None
        return landlord.name if landlord else "—"

    def delete_service(self, *, obj, user):
        from .services import house_delete

        house_delete(house=obj, user=user)


@admin.register(Household)
class HouseholdAdmin(PeopleModelAdmin):
    form = HouseholdAdminForm
    ledger_kind = "households"
    list_display = ["number", "grid", "house"]
    list_select_related = ["grid", "house"]
    search_fields = ["number"]
    fields = ["number", "grid", "house"]

    def delete_service(self, *, obj, user):
        from .services import household_delete

        household_delete(household=obj, user=user)


@admin.register(Organisation)
class OrganisationAdmin(PeopleModelAdmin):
    form = OrganisationAdminForm
    ledger_kind = "organisations"
    reveal_fields = ("contact_phone",)
    list_display = ["name", "kind", "credit_code", "grid", "contact_name", "masked_contact_phone"]
    list_filter = ["kind"]
    list_select_related = ["grid"]
    search_fields = ["name", "=credit_code"]
    readonly_fields = ["grid", "masked_contact_phone"]
    replace_fields = ("contact_phone_new", "clear_contact_phone")
    fields = [
        "name",
        "kind",
        "credit_code",
        "address",
        "lon",
        "lat",
        "grid",
        "contact_name",
        "masked_contact_phone",
        "contact_phone_new",
        "clear_contact_phone",
    ]

    @admin.display(description=_("contact phone"))
    def masked_contact_phone(self, obj):
        return obj.contact_phone_masked if obj and obj.pk else "—"

    def delete_service(self, *, obj, user):
        from .services import organisation_delete

        organisation_delete(organisation=obj, user=user)


@admin.register(Tag)
class TagAdmin(ScopedModelAdmin):
    """Tags are a reviewed list: only an unrestricted superuser changes it."""

    list_display = ["name", "restricted"]
    list_filter = ["restricted"]

    def get_queryset(self, request):
        return Tag.objects.all()  # not scoped: a tag belongs to no grid

    def _may_edit(self, request) -> bool:
        return bool(getattr(request.user, "is_unrestricted", False))
