"""The routes the pages use, for the page tests: the API, the language switch and the pages.

(The project's urls.py also mounts apps that other work may have half-built; the pages need
only these.)"""

from django.urls import include, path

from yemai.api import api

urlpatterns = [
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("yemai.web.urls")),
]
