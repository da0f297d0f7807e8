from django.urls import path

from steward.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("portal/", views.portal_home, name="portal_home"),
    path("healthz", views.healthz, name="healthz"),
]
