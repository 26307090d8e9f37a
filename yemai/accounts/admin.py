from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from yemai.core.admin_base import ScopedModelAdmin

from .models import User


@admin.register(User)
class UserAdmin(ScopedModelAdmin, DjangoUserAdmin):
    """Accounts inside the viewer's scope; only user managers may change them."""

    edit_permission = "can_manage_users"
    list_display = ["username", "first_name", "last_name", "role", "scope", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role and scope"), {"fields": ("role", "scope", "department", "granted_tags")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
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
    readonly_fields = ["last_login", "date_joined"]

    def has_module_permission(self, request):
        return self._may_edit(request)

    def has_view_permission(self, request, obj=None):
        return self._may_edit(request)
