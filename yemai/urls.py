from django.contrib import admin
from django.urls import include, path

from .api import api

admin.site.site_header = "叶脉 Yemai"
admin.site.site_title = "叶脉 Yemai"

urlpatterns = [
    path("api/", api.urls),
    path("open311/v2/", include("yemai.cases.open311")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("yemai.accounts.urls")),  # sign-in steps: 2FA, password change
    path("vision/", include("yemai.vision.urls")),
    path("admin/", admin.site.urls),
    path("reports/", include("yemai.reports.urls")),
    path("", include("yemai.web.urls")),
]
