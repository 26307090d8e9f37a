from django.contrib import admin
from django.urls import include, path

from .api import api

admin.site.site_header = "叶脉 Yemai"
admin.site.site_title = "叶脉 Yemai"

urlpatterns = [
    path("api/", api.urls),
    path("open311/v2/", include("yemai.cases.open311")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("yemai.web.urls")),
]
