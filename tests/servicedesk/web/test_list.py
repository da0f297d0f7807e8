"""The ticket list: who sees what, filters, full-text search, saved views, escaping, queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from steward.core.scoping import Scope
from steward.servicedesk.models import SavedView, Ticket
from steward.servicedesk.services import conversation, tickets
from tests.servicedesk.web.conftest import INTERNAL_NOTE, staff_scope
from tests.tenancy.helpers import assert_csp_clean

XSS = "<script>alert(1)</script>"


def _numbers(response) -> set[int]:
    return {ticket.pk for ticket in response.context["listing"].page.object_list}


def test_staff_list_shows_the_scope_only(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    response = http.get(reverse("ticket_list"))
    assert response.status_code == 200
    assert _numbers(response) == {desk.ticket_a.pk, desk.ticket_a_other.pk, desk.ticket_b.pk}
    html = response.content.decode()
    assert_csp_clean(html)
    assert "Alpha printer jams" in html
    assert "data-search" in html  # "/" focuses the search box (steward.js)

    http = login_as(world.users["technician_a"])
    response = http.get(reverse("ticket_list"), {"client": world.client_b.pk})
    assert _numbers(response) == set()
    response = http.get(reverse("ticket_list"))
    assert _numbers(response) == {desk.ticket_a.pk, desk.ticket_a_other.pk}
    assert "Bravo" not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("end_user_a", {"ticket_a"}),
        ("client_it_a", {"ticket_a", "ticket_a_other"}),
        ("client_admin_a", {"ticket_a", "ticket_a_other"}),
        ("end_user_b", {"ticket_b"}),
    ],
)
def test_portal_list_per_role(world, desk, login_as, role, expected):
    http = login_as(world.users[role])
    response = http.get(reverse("ticket_list"))
    assert response.status_code == 200
    assert _numbers(response) == {getattr(desk, name).pk for name in expected}
    assert "servicedesk/portal/list.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert_csp_clean(html)
    assert "Assignee" not in html  # staff columns and filters stay on the staff list
    if role.endswith("_a"):
        assert "Bravo" not in html


def test_end_user_sees_watched_tickets_too(world, desk, login_as):
    desk.ticket_a_other.watchers.add(world.users["end_user_a"])
    http = login_as(world.users["end_user_a"])
    assert _numbers(http.get(reverse("ticket_list"))) == {desk.ticket_a.pk, desk.ticket_a_other.pk}


def test_portal_search_never_matches_internal_notes(world, desk, login_as):
    http = login_as(world.users["client_admin_a"])
    assert _numbers(http.get(reverse("ticket_list"), {"q": "printer"})) == {desk.ticket_a.pk}
    assert _numbers(http.get(reverse("ticket_list"), {"q": INTERNAL_NOTE})) == set()
    http = login_as(world.users["technician_all"])
    assert _numbers(http.get(reverse("ticket_list"), {"q": INTERNAL_NOTE})) == {desk.ticket_a.pk}


def test_search_words_numbers_and_replies(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    assert _numbers(http.get(reverse("ticket_list"), {"q": "photo error"})) == {desk.ticket_a.pk}  # a reply
    assert _numbers(http.get(reverse("ticket_list"), {"q": "vpn"})) == {desk.ticket_a_other.pk}
    assert _numbers(http.get(reverse("ticket_list"), {"q": f"T-{desk.ticket_b.pk}"})) == {desk.ticket_b.pk}
    assert _numbers(http.get(reverse("ticket_list"), {"q": f"#{desk.ticket_a.pk}"})) == {desk.ticket_a.pk}
    assert desk.ticket_a.pk in _numbers(http.get(reverse("ticket_list"), {"q": str(desk.ticket_a.pk)}))
    # Query syntax in the words is just text.
    for nasty in ('"unbalanced', "a OR b NEAR(c)", "*", "-", "' OR 1=1 --", "x" * 300):
        response = http.get(reverse("ticket_list"), {"q": nasty})
        assert response.status_code == 200


def _prepare_filters(world, desk):
    tech = world.users["technician_all"]
    scope = staff_scope(world)
    tickets.update_ticket(
        scope, desk.ticket_a, {"assignee_id": tech.pk, "priority": "p1", "tags": ["printer"]}
    )
    tickets.update_ticket(scope, desk.ticket_a_other, {"team_id": desk.team.pk, "ticket_type": "problem"})
    tickets.change_status(scope, desk.ticket_b, "resolved")
    now = timezone.now()
    Ticket.unscoped.filter(pk=desk.ticket_a.pk).update(sla_breached=True)
    Ticket.unscoped.filter(pk=desk.ticket_a_other.pk).update(sla_due_at=now + dt.timedelta(minutes=30))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, {"ticket_a", "ticket_a_other"}),
        ({"status": "done"}, {"ticket_b"}),
        ({"status": "resolved"}, {"ticket_b"}),
        ({"status": "new"}, {"ticket_a_other"}),
        ({"assignee": "me"}, {"ticket_a"}),
        ({"assignee": "none"}, {"ticket_a_other", "ticket_b"}),
        ({"priority": "p1"}, {"ticket_a"}),
        ({"type": "problem"}, {"ticket_a_other"}),
        ({"sla": "breached"}, {"ticket_a"}),
        ({"sla": "due1h"}, {"ticket_a_other"}),
        ({"channel": "portal"}, {"ticket_a", "ticket_a_other", "ticket_b"}),
        ({"channel": "email"}, set()),
        ({"status": "open", "assignee": "none"}, {"ticket_a_other"}),
        ({"status": "bogus"}, {"ticket_a", "ticket_a_other", "ticket_b"}),  # ignored with a notice
        ({"assignee": "somebody"}, {"ticket_a", "ticket_a_other", "ticket_b"}),
        ({"client": "abc"}, {"ticket_a", "ticket_a_other", "ticket_b"}),
        ({"queue": "-1"}, {"ticket_a", "ticket_a_other", "ticket_b"}),
    ],
)
def test_each_filter(world, desk, login_as, params, expected):
    _prepare_filters(world, desk)
    http = login_as(world.users["technician_all"])
    response = http.get(reverse("ticket_list"), params)
    assert response.status_code == 200
    assert _numbers(response) == {getattr(desk, name).pk for name in expected}


def test_filters_by_ids(world, desk, login_as):
    _prepare_filters(world, desk)
    http = login_as(world.users["technician_all"])
    tag = desk.ticket_a.tags.get()
    assert _numbers(http.get(reverse("ticket_list"), {"tag": tag.pk})) == {desk.ticket_a.pk}
    assert _numbers(http.get(reverse("ticket_list"), {"team": desk.team.pk})) == {desk.ticket_a_other.pk}
    assert _numbers(http.get(reverse("ticket_list"), {"queue": desk.queue.pk})) == {
        desk.ticket_a.pk,
        desk.ticket_a_other.pk,
        desk.ticket_b.pk,
    }
    tech = world.users["technician_all"]
    assert _numbers(http.get(reverse("ticket_list"), {"assignee": tech.pk})) == {desk.ticket_a.pk}
    response = http.get(reverse("ticket_list"), {"client": world.client_a.pk, "site": world.site_a.pk})
    assert _numbers(response) == set()  # no ticket has a site yet
    html = response.content.decode()
    assert world.site_a.name in html  # the site select offers the client's sites


def test_sla_column_and_sorting(world, desk, login_as):
    _prepare_filters(world, desk)
    http = login_as(world.users["technician_all"])
    response = http.get(reverse("ticket_list"), {"sort": "sla"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "SLA breached" in html
    assert "SLA due soon" in html
    for sort in ("number", "-number", "subject", "client", "status", "priority", "assignee", "-updated"):
        assert http.get(reverse("ticket_list"), {"sort": sort}).status_code == 200
    response = http.get(reverse("ticket_list"), {"sort": "password", "page": "zz"})
    assert response.status_code == 200
    assert response.context["listing"].notices


def test_htmx_partial_is_the_table_only(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    response = http.get(reverse("ticket_list"), {"q": "printer"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Alpha printer jams" in html
    assert response.headers["Vary"].lower().count("hx-request") == 1


def test_subjects_are_escaped(world, desk, login_as):
    scope = staff_scope(world)
    tickets.update_ticket(scope, desk.ticket_a, {"subject": XSS, "tags": ["<b>tag</b>"]})
    for role in ("technician_all", "end_user_a"):
        http = login_as(world.users[role])
        html = http.get(reverse("ticket_list")).content.decode()
        assert XSS not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>tag</b>" not in html


def test_queries_do_not_grow_with_the_page(world, desk, login_as):
    scope = staff_scope(world)
    http = login_as(world.users["technician_all"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert http.get(reverse("ticket_list")).status_code == 200
        return len(queries)

    few = count()
    for number in range(25):
        ticket = tickets.open_ticket(
            scope,
            client_id=world.client_a.pk,
            site_id=world.site_a.pk,
            subject=f"Load {number}",
            body="x",
            assignee_id=world.users["technician_a"].pk,
            tags=[f"t{number}"],
        )
        conversation.add_reply(scope, ticket, "reply", notify=False)
    assert count() <= few + 1  # the same queries, whatever the number of rows


def test_saved_views(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    response = http.post(
        reverse("ticket_view_save"),
        {"name": "My breached", "query": "status=open&sla=breached&page=3&evil=1", "shared": ""},
    )
    assert response.status_code == 302
    view = SavedView.objects.get(name="My breached")
    assert view.query == {"status": "open", "sla": "breached"}
    assert not view.shared
    html = http.get(reverse("ticket_list")).content.decode()
    assert "My breached" in html

    http.post(reverse("ticket_view_save"), {"name": "Team queue", "query": "assignee=none", "shared": "on"})
    other = login_as(world.users["technician_a"])
    html = other.get(reverse("ticket_list")).content.decode()
    assert "Team queue" in html
    assert "My breached" not in html
    assert other.post(reverse("ticket_view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()

    http = login_as(world.users["technician_all"])
    assert http.post(reverse("ticket_view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()

    response = http.post(reverse("ticket_view_save"), {"name": "", "query": "status=open"})
    assert response.status_code == 302
    assert not SavedView.objects.filter(name="").exists()


def test_saved_views_are_staff_only(world, desk, login_as):
    http = login_as(world.users["client_admin_a"])
    assert http.post(reverse("ticket_view_save"), {"name": "Mine", "query": ""}).status_code == 403


def test_empty_and_paged(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.get(reverse("ticket_list"))
    assert response.status_code == 200
    assert "No tickets yet" in response.content.decode()
    scope = Scope.for_user(world.users["provider_admin"])
    for number in range(55):
        tickets.open_ticket(scope, client_id=world.client_a.pk, subject=f"Bulk {number}", body="x")
    response = http.get(reverse("ticket_list"), {"page": 2})
    assert response.status_code == 200
    assert len(response.context["listing"].page.object_list) == 5
    assert http.get(reverse("ticket_list"), {"page": 99}).status_code == 200


def test_portal_filters(world, desk, login_as):
    scope = staff_scope(world)
    tickets.change_status(scope, desk.ticket_a, "resolved")
    http = login_as(world.users["client_admin_a"])
    assert _numbers(http.get(reverse("ticket_list"), {"status": "open"})) == {desk.ticket_a_other.pk}
    assert _numbers(http.get(reverse("ticket_list"), {"status": "done"})) == {desk.ticket_a.pk}
    assert _numbers(http.get(reverse("ticket_list"), {"mine": "yes", "sort": "requester"})) == set()
    desk.ticket_a.watchers.add(world.users["client_admin_a"])
    response = http.get(reverse("ticket_list"), {"mine": "yes", "sort": "-requester"})
    assert _numbers(response) == {desk.ticket_a.pk}
    response = http.get(reverse("ticket_list"), {"status": "closed", "mine": "maybe"})
    assert response.status_code == 200
    assert len(response.context["listing"].notices) == 2
    # End users have no "whose" filter: they only ever see their own and followed tickets.
    html = login_as(world.users["end_user_a"]).get(reverse("ticket_list")).content.decode()
    assert 'name="mine"' not in html
