from django.urls import path

from steward.core.access import declare, public
from steward.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("portal/", views.portal_home, name="portal_home"),
    path("healthz", views.healthz, name="healthz"),
]

declare("home", "self", note="redirects to the dashboard or the portal by role")
declare("dashboard", "provider", note="provider staff overview; client roles are sent to the portal")
declare("portal_home", "list", note="a client user's own client summary")
public("healthz", note="database and queue health for load balancers")
