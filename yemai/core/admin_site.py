"""The admin site: any active user with a role may enter; what they see is their scope."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class YemaiAdminSite(admin.AdminSite):
    site_header = "叶脉 Yemai"
    site_title = "叶脉 Yemai"
    index_title = "网格化治理"

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and (getattr(user, "role", "") or user.is_superuser))


class YemaiAdminConfig(AdminConfig):
    default_site = "yemai.core.admin_site.YemaiAdminSite"
