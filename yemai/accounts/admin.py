from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from yemai.core.admin_base import ScopedModelAdmin
from yemai.core.audit import audit_record
from yemai.core.security import lockout, totp

from .models import LoginLock, User
from .roles import MANAGE_SECURITY, Role

# 三员分立 (docs/security/dengbao-level3-checklist.md): the system administrator keeps
# accounts (create, names, deactivate, set a password); the security administrator decides
# what they may do (role, scope, department, restricted tags) and unlocks them; neither reads
# the audit log, and the audit administrator changes nothing.
AUTHORISATION_FIELDS = ["role", "scope", "department", "granted_tags"]
ACCOUNT_FIELDS = ["username", "first_name", "last_name", "email"]


def _is_security_admin(user) -> bool:
    return bool(user.is_active and (user.role in MANAGE_SECURITY or user.is_unrestricted))


class SetPasswordForm(AdminPasswordChangeForm):
    """An administrator setting someone's password: its holder must change it at sign-in."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.must_change_password = True
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(ScopedModelAdmin, DjangoUserAdmin):
    """Accounts inside the viewer's scope; only user managers may change them."""

    edit_permission = "can_manage_users"
    change_password_form = SetPasswordForm
    list_display = ["username", "first_name", "last_name", "role", "scope", "is_active", "has_2fa"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name"]
    actions = ["unlock", "reset_second_factor", "require_password_change"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role and scope"), {"fields": ("role", "scope", "department", "granted_tags")}),
        (
            _("Status"),
            {
                "fields": (
                    "is_active",
                    "must_change_password",
                    "password_changed_at",
                    "totp_confirmed_at",
                    "last_login",
                    "date_joined",
                )
            },
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "password1", "password2", "role", "scope"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined", "password_changed_at", "totp_confirmed_at"]

    def has_module_permission(self, request):
        return self._may_edit(request)

    def has_view_permission(self, request, obj=None):
        return self._may_edit(request)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        user = request.user
        if user.is_unrestricted:
            return fields
        if not _is_security_admin(user):
            fields += AUTHORISATION_FIELDS  # the system administrator grants nothing
        elif obj is not None:
            fields += ACCOUNT_FIELDS  # the security administrator keeps no accounts
        if obj is not None and obj.pk == user.pk:
            fields += AUTHORISATION_FIELDS + ["is_active"]  # nobody raises their own rights
        return list(dict.fromkeys(fields))

    def get_fieldsets(self, request, obj=None):
        if obj is None and not (request.user.is_unrestricted or _is_security_admin(request.user)):
            # The system administrator creates the account; the security administrator then
            # gives it a role and a scope.
            return (
                (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
            )
        return super().get_fieldsets(request, obj)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_unrestricted:
            # Administrators' roles are given at set-up (createsuperuser), not by a peer.
            kwargs["choices"] = [("", "---------")] + [
                (value, label)
                for value, label in Role.choices
                if value not in {Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN}
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.must_change_password = True  # an initial password is changed at first sign-in
        super().save_model(request, obj, form, change)

    @admin.display(description=_("second factor"), boolean=True)
    def has_2fa(self, obj):
        return obj.totp_confirmed_at is not None

    def has_security_permission(self, request):
        return _is_security_admin(request.user)

    @admin.action(description=_("Unlock sign-in"), permissions=["security"])
    def unlock(self, request, queryset):
        for user in queryset:
            lockout.unlock(username=user.username)
            audit_record(user=request.user, kind="permission", obj=user, detail={"unlock": True})
        self.message_user(request, _("Sign-in unlocked."), messages.SUCCESS)

    @admin.action(description=_("Reset second factor"), permissions=["security"])
    def reset_second_factor(self, request, queryset):
        count = 0
        for user in queryset:
            totp.totp_reset(user)
            audit_record(user=request.user, kind="permission", obj=user, detail={"totp": "reset"})
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(n)s user sets up a new authenticator at the next sign-in.",
                "%(n)s users set up a new authenticator at the next sign-in.",
                count,
            )
            % {"n": count},
        )

    @admin.action(description=_("Require a password change"), permissions=["security"])
    def require_password_change(self, request, queryset):
        for user in queryset:
            User.objects.filter(pk=user.pk).update(must_change_password=True)
            audit_record(
                user=request.user,
                kind="permission",
                obj=user,
                detail={"must_change_password": True},
            )
        self.message_user(request, _("They change their password at the next sign-in."))


@admin.register(LoginLock)
class LoginLockAdmin(admin.ModelAdmin):
    """Locked names and addresses, for the security administrator to see and lift."""

    list_display = ["key", "failures", "last_failure", "locked_until"]
    search_fields = ["key"]
    actions = ["lift"]

    def _may(self, request) -> bool:
        return _is_security_admin(request.user)

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request)

    def has_delete_permission(self, request, obj=None):
        return self._may(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_lift_permission(self, request):
        return self._may(request)

    @admin.action(description=_("Lift the lock"), permissions=["lift"])
    def lift(self, request, queryset):
        keys = list(queryset.values_list("key", flat=True))
        queryset.delete()
        audit_record(
            user=request.user,
            kind="permission",
            object_type="accounts.loginlock",
            detail={"unlocked": keys},
        )
        self.message_user(request, _("Lock lifted."))
