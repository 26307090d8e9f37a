from django.contrib import admin

from yemai.core.admin_base import ScopedModelAdmin

from .models import Camera


@admin.register(Camera)
class CameraAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "grid", "enabled"]
    list_filter = ["enabled"]
    search_fields = ["code", "name"]
    list_select_related = ["grid"]
