from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import AuditEvent, Task
from .tasks import task_retry


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, for the audit administrator only: search, filter, export (xlsx)."""

    list_display = ["at", "username", "ip", "kind", "object_type", "object_id", "outcome"]
    list_filter = ["kind", "outcome"]
    search_fields = ["username", "object_id", "ip", "object_type"]
    date_hierarchy = "at"
    actions = ["export_xlsx"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_export_permission(self, request):
        return getattr(request.user, "can_read_audit", False)

    @admin.action(description=_("Export to Excel (xlsx)"), permissions=["export"])
    def export_xlsx(self, request, queryset):
        from django.http import HttpResponse

        from .audit_export import audit_export_xlsx

        content, count = audit_export_xlsx(queryset.order_by("pk"), user=request.user)
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.xlsx"'
        )
        return response

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


class TaskStateFilter(admin.SimpleListFilter):
    """Pending splits into waiting, running (claimed, lease not expired) and retrying."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("Waiting")),
            ("running", _("Running")),
            ("retrying", _("Failed, will retry")),
            ("done", _("Done")),
            ("dead", _("Dead")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        pending = queryset.filter(state=Task.State.PENDING)
        running = Q(claimed_until__gte=now)
        match self.value():
            case "waiting":
                return pending.exclude(running).filter(last_error="")
            case "running":
                return pending.filter(running)
            case "retrying":
                return pending.exclude(running).exclude(last_error="")
            case "done" | "dead":
                return queryset.filter(state=self.value())
        return queryset


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Background tasks, read-only; for system administrators (they hold no personal data but
    ids, and say nothing about grids)."""

    list_display = ["id", "name", "state", "run_at", "attempts", "claimed_by", "short_error"]
    list_filter = [TaskStateFilter, "name"]
    search_fields = ["name", "dedupe_key"]
    date_hierarchy = "run_at"
    actions = ["retry_now"]
    readonly_fields = [f.name for f in Task._meta.fields]

    def _may_see(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and (
                getattr(user, "is_unrestricted", False)
                or getattr(user, "role", "") == "system_admin"
            )
        )

    def has_module_permission(self, request):
        return self._may_see(request)

    def has_view_permission(self, request, obj=None):
        return self._may_see(request)

    def has_retry_permission(self, request):
        return self._may_see(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return (obj.last_error or "")[:80]

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        count = task_retry(task_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(n)s task will run again.", "%(n)s tasks will run again.", count)
            % {"n": count},
        )
