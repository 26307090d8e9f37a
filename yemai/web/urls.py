from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="/login/"), name="logout"),
    # the command centre (一网统管) and its data
    path("centre/", views.centre, name="centre"),
    path("centre/cases.json", views.centre_cases, name="centre-cases"),
    path("centre/layers.json", views.centre_layers, name="centre-layers"),
    path("centre/today.json", views.centre_today, name="centre-today"),
    path("centre/departments.json", views.centre_departments, name="centre-departments"),
    path("centre/changes.json", views.centre_changes, name="centre-changes"),
    # the grid member's phone app (PWA), the leader's and the department's desks
    path("m/", views.member, name="member"),
    path("m/manifest.webmanifest", views.manifest, name="manifest"),
    path("m/sw.js", views.service_worker, name="service-worker"),
    path("leader/", views.leader, name="leader"),
    path("department/", views.department, name="department"),
    # reviewing field check-ins (needs the whereabouts grant)
    path("checkins/", views.checkins, name="checkins"),
    path("checkins/<int:pk>/review/", views.checkin_review, name="checkin-review"),
    # residents, no account
    path("r/", views.portal, name="portal"),
    path("r/grids.json", views.portal_grids, name="portal-grids"),
    path("r/photo/", views.portal_photo, name="portal-photo"),
    path("r/track/", views.track, name="track"),
    path("r/rate/", views.rate_by_code, name="rate_by_code"),
    path("rate/<str:token>", views.rate, name="rate"),
    path("rate/<str:token>/", views.rate),
    path("qr/<str:kind>/<str:key>.svg", views.qr, name="qr"),
    path("qr/", views.qr_sheet, name="qr-sheet"),
    path("board/<str:code>/", views.board, name="board"),
]
