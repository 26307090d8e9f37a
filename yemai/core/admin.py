from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "ip", "kind", "object_type", "object_id", "outcome"]
    list_filter = ["kind", "outcome"]
    search_fields = ["username", "object_id", "ip"]
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return getattr(request.user, "can_read_audit", False)

    def has_view_permission(self, request, obj=None):
        return getattr(request.user, "can_read_audit", False)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
