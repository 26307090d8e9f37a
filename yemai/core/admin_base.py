"""Base admin for scoped models: lists, forms, choices and objects all limited to the scope.

An object outside the user's scope is a 404 (not the admin's usual redirect with a message),
so a guessed id tells nothing. Foreign-key choices in forms are restricted too, so nobody can
attach a row to a grid outside their scope.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404


class ScopedModelAdmin(admin.ModelAdmin):
    """Subclasses say who may edit with ``edit_permission`` (a User property name)."""

    edit_permission = "can_manage_grids"

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user)

    def _may_edit(self, request) -> bool:
        return bool(getattr(request.user, self.edit_permission, False))

    def has_module_permission(self, request):
        return request.user.is_active and bool(
            getattr(request.user, "role", "") or request.user.is_superuser
        )

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self._may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "restrict"):
            field.queryset = queryset.restrict(request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "restrict"):
            field.queryset = queryset.restrict(request.user)
        return field
