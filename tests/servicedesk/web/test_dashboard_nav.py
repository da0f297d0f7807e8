"""The dashboard card and the navigation entries of the service desk."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from steward.servicedesk.models import Ticket


def test_dashboard_widget_counts(world, desk, login_as):
    Ticket.unscoped.filter(pk=desk.ticket_a.pk).update(
        sla_breached=True, assignee=world.users["technician_all"]
    )
    Ticket.unscoped.filter(pk=desk.ticket_a_other.pk).update(
        sla_due_at=timezone.now() + dt.timedelta(minutes=20)
    )
    http = login_as(world.users["technician_all"])
    response = http.get(reverse("dashboard"))
    assert response.status_code == 200
    widget = next(
        w for w in response.context["widgets"] if w["template"] == "servicedesk/_dashboard_widget.html"
    )
    assert widget["data"] == {"open": 3, "unassigned": 2, "mine": 1, "breached": 1, "due_soon": 1}
    html = response.content.decode()
    assert "SLA breached" in html
    assert f"{reverse('ticket_list')}?status=open&amp;sla=breached" in html

    http = login_as(world.users["technician_a"])
    widget = next(
        w for w in http.get(reverse("dashboard")).context["widgets"] if "servicedesk" in w["template"]
    )
    assert widget["data"]["open"] == 2  # client B's ticket is outside the technician's access


def test_navigation_per_audience(world, login_as):
    staff = login_as(world.users["technician_all"]).get(reverse("ticket_list")).content.decode()
    assert ">Tickets</a>" in staff
    assert reverse("canned_response_list") not in staff  # needs servicedesk.configure
    admin = login_as(world.users["provider_admin"]).get(reverse("ticket_list")).content.decode()
    assert reverse("canned_response_list") in admin and reverse("macro_list") in admin
    portal = login_as(world.users["end_user_a"]).get(reverse("portal_home")).content.decode()
    assert f'href="{reverse("ticket_list")}"' in portal
    assert "Ask for help" in portal
