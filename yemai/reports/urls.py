from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.reports_page, name="page"),
    path("jobs/<int:job_id>/status", views.job_status, name="status"),
    path("jobs/<int:job_id>/<str:fmt>", views.download, name="download"),
]
