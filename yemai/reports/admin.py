"""Report jobs in the admin: scoped, read-only (they are made from the reports page)."""

from django.contrib import admin

from yemai.core.admin_base import ScopedModelAdmin

from .models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(ScopedModelAdmin):
    edit_permission = "can_manage_people"
    list_display = ("created_at", "kind", "grid", "start", "end", "state", "progress")
    list_filter = ("kind", "state")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
