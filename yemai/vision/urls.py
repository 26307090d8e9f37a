from django.urls import path

from . import views

app_name = "vision"
urlpatterns = [
    path("", views.status_page, name="status"),
    path("cameras/<int:camera_id>/zones/", views.zone_editor, name="zones"),
    path("review/", views.review_page, name="review"),
    path("review/<int:alarm_id>/", views.review_action, name="review_action"),
]
