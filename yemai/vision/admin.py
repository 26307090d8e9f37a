from django.contrib import admin

from yemai.core.admin_base import ScopedModelAdmin

from .models import Alarm, Camera, Zone


@admin.register(Camera)
class CameraAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "grid", "enabled", "status", "fps", "last_frame_at"]
    list_filter = ["enabled", "status"]
    search_fields = ["code", "name"]
    list_select_related = ["grid"]
    readonly_fields = [
        "lease_owner",
        "lease_until",
        "status",
        "status_detail",
        "fps",
        "last_frame_at",
        "last_alarm_at",
        "snapshot_at",
    ]


@admin.register(Zone)
class ZoneAdmin(ScopedModelAdmin):
    list_display = ["name", "camera", "kind", "dwell_s", "review_required", "enabled"]
    list_filter = ["kind", "enabled", "review_required"]
    search_fields = ["name", "camera__code"]
    list_select_related = ["camera"]


@admin.register(Alarm)
class AlarmAdmin(ScopedModelAdmin):
    list_display = ["camera", "zone", "label", "state", "repeats", "first_at", "case_number"]
    list_filter = ["state"]
    search_fields = ["camera__code", "case_number"]
    list_select_related = ["camera", "zone"]
    readonly_fields = [
        "camera",
        "zone",
        "track_uid",
        "label",
        "score",
        "box",
        "dwell_s",
        "state",
        "repeats",
        "first_at",
        "last_at",
        "worker",
        "case_id",
        "case_number",
        "reviewed_by",
        "reviewed_at",
        "error",
    ]

    def has_add_permission(self, request):
        return False
