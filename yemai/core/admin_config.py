"""The admin app's config, apart from the site so that it imports nothing at start-up."""

from django.contrib.admin.apps import AdminConfig


class YemaiAdminConfig(AdminConfig):
    default_site = "yemai.core.admin_site.YemaiAdminSite"
