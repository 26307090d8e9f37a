"""The admin site: any active user with a role may enter; what they see is their scope."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class YemaiAdminSite(admin.AdminSite):
    site_header = "叶脉 Yemai"
    site_title = "叶脉 Yemai"
    index_title = _("Grid governance")

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and (getattr(user, "role", "") or user.is_superuser))


class YemaiAdminConfig(AdminConfig):
    default_site = "yemai.core.admin_site.YemaiAdminSite"
