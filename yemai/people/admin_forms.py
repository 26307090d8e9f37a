"""Admin forms of the people registry: every save goes through the services.

Personal data is never a form field holding the stored value: the change page shows it
masked (a read-only field of the admin) and offers an empty input to *replace* it, so the
whole ID number, phone or address never reaches the HTML of a user who may not see it.

``clean()`` runs the service inside a savepoint that is always rolled back, so every rule
(GB 11643, duplicates, scope, restricted tags) shows as a form error next to its field;
``ModelAdmin.save_model`` then calls ``apply()`` for real.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yemai.grids.choices import Level

from . import services
from .models import House, Household, Organisation, Resident


class _DryRun(Exception):
    """Raised inside the validation savepoint so that nothing it wrote survives."""


def _replace_field(label, help_text=None) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text or _("Leave empty to keep the stored value."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ServiceForm(forms.ModelForm):
    """A model form whose save is a service call; subclasses write ``apply()``."""

    acting_user = None  # set per request by the admin's get_form
    error_fields: dict[str, str] = {}  # service field → form field

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            with transaction.atomic():
                self.apply()
                raise _DryRun
        except _DryRun:
            pass
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from None
        except ValidationError as exc:
            self._add_service_errors(exc)
        return data

    def _add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, errors in exc.error_dict.items():
            field = self.error_fields.get(name, name)
            messages = [m for e in errors for m in e.messages]
            self.add_error(field if field in self.fields else None, messages)

    def fresh(self):
        """The stored row, untouched by this form (construct_instance changes self.instance)."""
        return type(self.instance).objects.get(pk=self.instance.pk) if self.instance.pk else None

    def apply(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def limit_grid(self) -> None:
        if "grid" in self.fields:
            field = self.fields["grid"]
            field.queryset = field.queryset.filter(level=Level.MICRO)


class ResidentAdminForm(ServiceForm):
    id_number_new = _replace_field(
        _("ID number (whole, to replace)"),
        _("Type the whole 18-character number (境外: the document number). Empty keeps it."),
    )
    phone_new = _replace_field(_("Phone (to replace)"))
    clear_phone = forms.BooleanField(label=_("Remove the phone"), required=False)
    error_fields = {"id_number": "id_number_new", "phone": "phone_new"}

    class Meta:
        model = Resident
        fields = ["name", "grid", "registration", "household", "house", "tags"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_grid()
        if not self.instance.pk and "id_number_new" in self.fields:
            self.fields["id_number_new"].required = True

    def apply(self) -> Resident:
        d = self.cleaned_data
        tags = [t.name for t in d.get("tags") or []]
        common = {
            "grid": d["grid"],
            "name": d["name"],
            "registration": d["registration"],
            "household": d.get("household"),
            "house": d.get("house"),
            "tags": tags,
            "user": self.acting_user,
        }
        current = self.fresh()
        if current is None:
            return services.resident_create(
                id_number=d.get("id_number_new", ""), phone=d.get("phone_new", ""), **common
            )
        if d.get("id_number_new"):
            common["id_number"] = d["id_number_new"]
        if d.get("phone_new"):
            common["phone"] = d["phone_new"]
        elif d.get("clear_phone"):
            common["phone"] = ""
        return services.resident_update(resident=current, **common)


class HouseAdminForm(ServiceForm):
    address_new = _replace_field(_("Address (whole, to replace)"))
    error_fields = {"address": "address_new"}

    class Meta:
        model = House
        fields = ["code", "lon", "lat", "grid", "use", "landlord"]
        help_texts = {
            "grid": _("Found from the coordinates when given; needed only without them."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_grid()
        if "grid" in self.fields:
            self.fields["grid"].required = False
        if not self.instance.pk and "address_new" in self.fields:
            self.fields["address_new"].required = True

    def apply(self) -> House:
        d = self.cleaned_data
        current = self.fresh()
        fields = {
            "code": d["code"],
            "lon": d.get("lon"),
            "lat": d.get("lat"),
            "grid": d.get("grid"),
            "use": d["use"],
            "landlord": d.get("landlord"),
            "user": self.acting_user,
        }
        if current is None:
            return services.house_create(address=d.get("address_new", ""), **fields)
        if fields["landlord"] is None and current.landlord_id:
            # A landlord hidden from this user (restricted tag) is not in the choices:
            # an empty choice then means "unchanged", not "remove".
            visible = Resident.objects.restrict(self.acting_user).filter(pk=current.landlord_id)
            if not visible.exists():
                fields.pop("landlord")
        if d.get("address_new"):
            fields["address"] = d["address_new"]
        if fields["lon"] is not None and d.get("grid") == current.grid:
            fields.pop("grid")  # the point decides; the unchanged grid must not contradict it
        return services.house_update(house=current, **fields)


class HouseholdAdminForm(ServiceForm):
    class Meta:
        model = Household
        fields = ["number", "grid", "house"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_grid()

    def apply(self) -> Household:
        d = self.cleaned_data
        current = self.fresh()
        fields = {"number": d["number"], "grid": d["grid"], "house": d.get("house")}
        if current is None:
            return services.household_create(user=self.acting_user, **fields)
        return services.household_update(household=current, user=self.acting_user, **fields)


class OrganisationAdminForm(ServiceForm):
    contact_phone_new = _replace_field(_("Contact phone (to replace)"))
    clear_contact_phone = forms.BooleanField(label=_("Remove the contact phone"), required=False)
    error_fields = {"contact_phone": "contact_phone_new"}

    class Meta:
        model = Organisation
        fields = ["name", "kind", "credit_code", "address", "lon", "lat", "contact_name"]

    def apply(self) -> Organisation:
        d = self.cleaned_data
        current = self.fresh()
        names = ("name", "kind", "credit_code", "address", "lon", "lat", "contact_name")
        fields = {f: d.get(f) for f in names}
        for text in ("credit_code", "address", "contact_name"):
            fields[text] = fields[text] or ""
        if current is None:
            phone = d.get("contact_phone_new", "")
            return services.organisation_create(
                contact_phone=phone, user=self.acting_user, **fields
            )
        if d.get("contact_phone_new"):
            fields["contact_phone"] = d["contact_phone_new"]
        elif d.get("clear_contact_phone"):
            fields["contact_phone"] = ""
        return services.organisation_update(organisation=current, user=self.acting_user, **fields)


class ImportForm(forms.Form):
    """The first step of an admin import: the file and how to treat it."""

    file = forms.FileField(label=_("Excel file (.xlsx)"))
    skip_bad_rows = forms.BooleanField(
        label=_("Skip bad rows"),
        required=False,
        help_text=_("Without this, one bad row stops the whole import and nothing changes."),
    )
    key = forms.CharField(
        label=_("Update key"),
        required=False,
        help_text=_(
            "The column that identifies a record to update (default: 公民身份号码, 房屋编号, 户号, 统一社会信用代码)."
        ),
    )
