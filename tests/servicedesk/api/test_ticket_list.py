"""GET /tickets: who sees what, every filter, ordering, pagination, and a constant query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from steward.core.scoping import Scope
from steward.servicedesk.models import Queue, Team, Ticket
from steward.servicedesk.services import conversation, tickets
from tests.servicedesk.api.conftest import error_fields, open_as

pytestmark = pytest.mark.django_db


def subjects(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["subject"] for row in response.json()["results"]}


A_TICKETS = {"Outlook keeps crashing", "New starter laptop", "Patch the file server"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("provider_admin", {*A_TICKETS, "Bravo router down"}),
        ("technician_all", {*A_TICKETS, "Bravo router down"}),
        ("technician_a", A_TICKETS),
        ("client_admin_a", A_TICKETS),
        ("client_it_a", A_TICKETS),
        ("client_admin_b", {"Bravo router down"}),
    ],
)
def test_list_shows_the_tickets_of_the_callers_clients(world, desk, api_as, role, expected):
    assert subjects(api_as(role).get("/tickets")) == expected


def test_end_users_see_their_own_and_watched_tickets(world, desk, session_as):
    api = session_as("end_user_a")
    assert subjects(api.get("/tickets")) == {"Outlook keeps crashing"}
    desk.colleague.watchers.add(world.users["end_user_a"])
    assert subjects(api.get("/tickets")) == {"Outlook keeps crashing", "New starter laptop"}
    assert subjects(session_as("end_user_b").get("/tickets")) == set()


def test_list_row_shape(world, desk, api_as):
    row = next(
        r for r in api_as("technician_a").get("/tickets").json()["results"] if r["id"] == desk.staff.pk
    )
    assert row["reference"] == f"T-{desk.staff.pk}"
    assert row["priority"] == "p2"
    assert row["ticket_type"] == "proactive"
    assert row["client_id"] == world.client_a.pk
    assert {"sla_due_at", "sla_warn_at", "sla_breached", "sla_paused", "tags"} <= set(row)
    assert "search_public" not in row
    assert "search_internal" not in row


def test_status_filter_takes_shortcuts_repeats_and_commas(world, desk, api_as):
    api = api_as("provider_admin")
    scope = Scope.system(world.provider.pk)
    tickets.change_status(scope, desk.colleague, "resolved")
    tickets.change_status(scope, desk.staff, "in_progress")
    everything_open = {"Outlook keeps crashing", "Patch the file server", "Bravo router down"}
    assert subjects(api.get("/tickets", {"status": "open"})) == everything_open
    assert subjects(api.get("/tickets", {"status": "done"})) == {"New starter laptop"}
    assert subjects(api.get("/tickets", {"status": "in_progress"})) == {"Patch the file server"}
    both = {"New starter laptop", "Patch the file server"}
    assert subjects(api.get("/tickets", {"status": ["resolved", "in_progress"]})) == both
    assert subjects(api.get("/tickets", {"status": "resolved, in_progress"})) == both


def test_field_filters(world, desk, api_as):
    api = api_as("provider_admin")
    scope = Scope.system(world.provider.pk)
    team = Team.objects.create(provider=world.provider, name="Level 2")
    queue = Queue.objects.create(provider=world.provider, name="Projects")
    tickets.update_ticket(
        scope,
        desk.staff,
        {"assignee_id": world.users["technician_a"].pk, "team_id": team.pk, "queue_id": queue.pk},
    )
    tickets.update_ticket(scope, desk.mine, {"site_id": world.site_a.pk, "tags": ["VPN", "Urgent"]})
    tickets.update_ticket(scope, desk.colleague, {"assignee_id": world.users["provider_admin"].pk})
    Ticket.unscoped.filter(pk=desk.other.pk).update(sla_breached=True)

    assert subjects(api.get("/tickets", {"client_id": world.client_b.pk})) == {"Bravo router down"}
    assert subjects(api.get("/tickets", {"site_id": world.site_a.pk})) == {"Outlook keeps crashing"}
    assert subjects(api.get("/tickets", {"priority": "p2"})) == {"Patch the file server"}
    assert subjects(api.get("/tickets", {"priority": "p1,p2"})) == {"Patch the file server"}
    assert subjects(api.get("/tickets", {"ticket_type": "service_request"})) == {"New starter laptop"}
    assert subjects(api.get("/tickets", {"channel": "portal"})) == {
        "Outlook keeps crashing",
        "New starter laptop",
    }
    assert subjects(api.get("/tickets", {"queue_id": queue.pk})) == {"Patch the file server"}
    assert subjects(api.get("/tickets", {"team_id": team.pk})) == {"Patch the file server"}
    assert subjects(api.get("/tickets", {"assignee_id": world.users["technician_a"].pk})) == {
        "Patch the file server"
    }
    assert subjects(api.get("/tickets", {"assignee_id": "me"})) == {"New starter laptop"}
    assert subjects(api.get("/tickets", {"assignee_id": "none"})) == {
        "Outlook keeps crashing",
        "Bravo router down",
    }
    assert subjects(api.get("/tickets", {"tag": "vpn"})) == {"Outlook keeps crashing"}
    assert subjects(api.get("/tickets", {"tag": "nothing"})) == set()
    assert subjects(api.get("/tickets", {"sla_breached": "true"})) == {"Bravo router down"}
    assert len(subjects(api.get("/tickets", {"sla_breached": "false"}))) == 3


def test_date_filters(world, desk, api_as):
    api = api_as("provider_admin")
    old = timezone.now() - dt.timedelta(days=30)
    Ticket.unscoped.filter(pk=desk.staff.pk).update(created_at=old, updated_at=old)
    cutoff = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert subjects(api.get("/tickets", {"created_before": cutoff})) == {"Patch the file server"}
    assert "Patch the file server" not in subjects(api.get("/tickets", {"created_after": cutoff}))
    assert "Patch the file server" not in subjects(api.get("/tickets", {"updated_after": cutoff}))
    # Without an offset, times are UTC.
    naive = (timezone.now() - dt.timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert subjects(api.get("/tickets", {"created_before": naive})) == {"Patch the file server"}


def test_full_text_search_hides_internal_notes_from_customers(world, desk, api_as, session_as):
    staff = Scope.system(world.provider.pk)
    conversation.add_reply(staff, desk.mine, "Suspect the zebrafish plugin.", internal=True, notify=False)
    conversation.add_reply(staff, desk.mine, "Please restart the computer.", notify=False)
    assert subjects(api_as("technician_a").get("/tickets", {"q": "zebrafish"})) == {"Outlook keeps crashing"}
    assert subjects(api_as("client_admin_a").get("/tickets", {"q": "zebrafish"})) == set()
    assert subjects(session_as("end_user_a").get("/tickets", {"q": "zebrafish"})) == set()
    assert subjects(session_as("end_user_a").get("/tickets", {"q": "restart computer"})) == {
        "Outlook keeps crashing"
    }
    assert subjects(api_as("client_admin_a").get("/tickets", {"q": "outlook"})) == {"Outlook keeps crashing"}
    # Searching for another client's words finds nothing outside your access.
    assert subjects(api_as("client_admin_a").get("/tickets", {"q": "bravo router"})) == set()


def test_search_by_reference(world, desk, api_as):
    api = api_as("technician_a")
    assert subjects(api.get("/tickets", {"q": f"T-{desk.staff.pk}"})) == {"Patch the file server"}
    assert subjects(api.get("/tickets", {"q": f"#{desk.mine.pk}"})) == {"Outlook keeps crashing"}
    assert subjects(api.get("/tickets", {"q": f"T-{desk.other.pk}"})) == set()


def test_ordering_and_pagination(world, desk, api_as):
    api = api_as("technician_a")
    newest = api.get("/tickets").json()
    assert newest["count"] == 3
    assert [r["id"] for r in newest["results"]] == sorted((r["id"] for r in newest["results"]), reverse=True)
    oldest = api.get("/tickets", {"ordering": "id", "limit": 2}).json()
    assert oldest["limit"] == 2
    assert [r["id"] for r in oldest["results"]] == [desk.mine.pk, desk.colleague.pk]
    rest = api.get("/tickets", {"ordering": "id", "limit": 2, "offset": 2}).json()
    assert [r["id"] for r in rest["results"]] == [desk.staff.pk]
    assert rest["count"] == 3
    by_priority = api.get("/tickets", {"ordering": "priority"}).json()["results"]
    assert by_priority[0]["id"] == desk.staff.pk  # p2 before p3
    due = timezone.now() + dt.timedelta(hours=2)
    Ticket.unscoped.filter(pk=desk.colleague.pk).update(sla_due_at=due)
    for ordering in ("sla_due_at", "-sla_due_at"):
        first = api.get("/tickets", {"ordering": ordering}).json()["results"][0]
        assert first["id"] == desk.colleague.pk, ordering  # tickets without a due time come last


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "deleted"}, "status"),
        ({"status": "open,bogus"}, "status"),
        ({"priority": "p9"}, "priority"),
        ({"ticket_type": "rant"}, "ticket_type"),
        ({"channel": "pigeon"}, "channel"),
        ({"assignee_id": "someone"}, "assignee_id"),
        ({"assignee_id": "99999999999999999999"}, "assignee_id"),
        ({"client_id": "abc"}, "client_id"),
        ({"client_id": "0"}, "client_id"),
        ({"queue_id": str(2**64)}, "queue_id"),
        ({"sla_breached": "maybe"}, "sla_breached"),
        ({"ordering": "search_internal"}, "ordering"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "0001-01-01T00:00:00+05:00"}, "created_after"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00"}, "q"),
        ({"tag": "t" * 51}, "tag"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": ",".join(["new"] * 21)}, "status"),
    ],
)
def test_bad_list_parameters_are_422(world, desk, api_as, params, field):
    response = api_as("provider_admin").get("/tickets", params)
    assert response.status_code == 422, response.content
    assert field in error_fields(response), response.json()


def test_bad_status_names_the_allowed_values(world, api_as):
    response = api_as("provider_admin").get("/tickets", {"status": "deleted"})
    message = error_fields(response)["status"]
    assert "'deleted' is not one of" in message
    assert "waiting_on_customer" in message


def test_list_query_count_does_not_grow_with_the_page(world, api_as):
    api = api_as("provider_admin")
    open_as(world, None, tags=["one"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/tickets", {"limit": 100}).status_code == 200
        return len(captured.captured_queries)

    queries()  # the first call also records the token's use
    few = queries()
    for number in range(12):
        open_as(world, None, subject=f"Ticket {number}", tags=["one", f"t{number}"], assignee_id=None)
    assert queries() == few


def test_list_never_reads_the_full_text_columns(world, desk, api_as):
    with CaptureQueriesContext(connection) as captured:
        assert api_as("provider_admin").get("/tickets").status_code == 200
    selects = [q["sql"] for q in captured.captured_queries if "servicedesk_ticket" in q["sql"]]
    assert selects
    assert not [sql for sql in selects if "search_public" in sql or "search_internal" in sql]
