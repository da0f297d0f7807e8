"""Event log, SLA state, canned responses, macros, saved views and CSAT."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from steward.servicedesk.models import CannedResponse, Macro, SatisfactionSurvey, SavedView, Ticket
from tests.servicedesk.api.conftest import error_fields

pytestmark = pytest.mark.django_db


# ---- Events and SLA ---------------------------------------------------------------------------


def test_event_log_is_staff_only(world, desk, api_as, session_as):
    api = api_as("technician_a")
    api.patch(f"/tickets/{desk.mine.pk}", {"priority": "p1"})
    api.post(f"/tickets/{desk.mine.pk}/status", {"status": "resolved"})
    events = api.get(f"/tickets/{desk.mine.pk}/events").json()
    assert [(e["kind"], e["status"], e["priority"]) for e in events["results"]] == [
        ("created", "new", "p3"),
        ("priority", "new", "p1"),
        ("status", "resolved", "p1"),
    ]
    assert events["results"][1]["actor_id"] == world.users["technician_a"].pk
    for customer in (api_as("client_admin_a"), session_as("end_user_a")):
        assert customer.get(f"/tickets/{desk.mine.pk}/events").status_code == 403


def test_sla_state(world, desk, api_as, session_as):
    due = timezone.now() + dt.timedelta(hours=4)
    state = {"first_response": {"state": "running", "due_at": due.isoformat()}}
    Ticket.unscoped.filter(pk=desk.mine.pk).update(
        sla_state=state, sla_due_at=due, sla_breached=False, sla_paused=True
    )
    for api in (api_as("technician_a"), session_as("end_user_a")):
        body = api.get(f"/tickets/{desk.mine.pk}/sla").json()
        assert body["state"] == state
        assert body["paused"] is True
        assert body["breached"] is False
        assert dt.datetime.fromisoformat(body["due_at"].replace("Z", "+00:00")) == due.replace(
            microsecond=due.microsecond // 1000 * 1000
        )
    listed = api_as("technician_a").get("/tickets", {"ordering": "sla_due_at"}).json()["results"][0]
    assert (listed["id"], listed["sla_paused"]) == (desk.mine.pk, True)


def test_changes_through_the_api_refresh_the_cached_sla(world, desk, api_as):
    Ticket.unscoped.filter(pk=desk.mine.pk).update(sla_computed_at=None)
    api_as("technician_a").patch(f"/tickets/{desk.mine.pk}", {"priority": "p2"})
    assert Ticket.unscoped.get(pk=desk.mine.pk).sla_computed_at is not None


# ---- Canned responses -------------------------------------------------------------------------


@pytest.fixture
def canned(world):
    return {
        "all": CannedResponse.objects.create(
            provider=world.provider, title="Greeting", body="Hello {requester}, about {ticket}: {subject}."
        ),
        "a": CannedResponse.objects.create(
            provider=world.provider, client=world.client_a, title="Alpha VPN", body="Alpha's VPN: {client}"
        ),
        "b": CannedResponse.objects.create(
            provider=world.provider, client=world.client_b, title="Bravo VPN", body="Bravo's VPN"
        ),
    }


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def test_canned_response_lists(world, desk, canned, api_as):
    assert titles(api_as("technician_all").get("/canned-responses")) == ["Alpha VPN", "Bravo VPN", "Greeting"]
    assert titles(api_as("technician_a").get("/canned-responses")) == ["Alpha VPN", "Greeting"]
    for_ticket = api_as("technician_all").get("/canned-responses", {"ticket_id": desk.other.pk})
    assert titles(for_ticket) == ["Bravo VPN", "Greeting"]
    hidden = api_as("technician_a").get("/canned-responses", {"ticket_id": desk.other.pk})
    assert hidden.status_code == 422
    assert "ticket_id" in error_fields(hidden)


def test_render_canned_response(world, desk, canned, api_as):
    api = api_as("technician_a")
    text = api.get(f"/canned-responses/{canned['all'].pk}/render", {"ticket_id": desk.mine.pk}).json()["text"]
    assert text == f"Hello End User, about T-{desk.mine.pk}: Outlook keeps crashing."
    alpha = api.get(f"/canned-responses/{canned['a'].pk}/render", {"ticket_id": desk.mine.pk})
    assert alpha.json() == {"text": "Alpha's VPN: Alpha Dental"}
    # Client A's text does not fit client B's ticket; client B's text is out of reach.
    wrong = api_as("technician_all").get(
        f"/canned-responses/{canned['a'].pk}/render", {"ticket_id": desk.other.pk}
    )
    assert wrong.status_code == 422
    assert "ticket_id" in error_fields(wrong)
    assert (
        api.get(f"/canned-responses/{canned['b'].pk}/render", {"ticket_id": desk.mine.pk}).status_code == 404
    )
    assert api.get(f"/canned-responses/{canned['all'].pk}/render").status_code == 422
    assert api.get("/canned-responses/999999/render", {"ticket_id": desk.mine.pk}).status_code == 404


def test_customers_have_no_shortcuts(world, desk, canned, api_as, session_as):
    macro = Macro.objects.create(provider=world.provider, name="Close", actions={"status": "closed"})
    for api in (api_as("client_admin_a"), api_as("client_it_a"), session_as("end_user_a")):
        assert api.get("/canned-responses").status_code == 403
        path = f"/canned-responses/{canned['all'].pk}/render"
        assert api.get(path, {"ticket_id": desk.mine.pk}).status_code == 403
        assert api.get("/macros").status_code == 403
        assert api.post(f"/tickets/{desk.mine.pk}/macros/{macro.pk}/apply").status_code == 403
        assert api.get("/csat/summary").status_code == 403
    assert Ticket.unscoped.get(pk=desk.mine.pk).status == "new"


# ---- Macros ---------------------------------------------------------------------------------


def test_apply_macro(world, desk, api_as):
    macro = Macro.objects.create(
        provider=world.provider,
        name="Resolve with thanks",
        actions={
            "priority": "p4",
            "add_tags": ["done"],
            "note": "Closed by macro",
            "reply": "Thanks {requester}!",
            "status": "resolved",
        },
    )
    api = api_as("technician_a")
    assert [row["name"] for row in api.get("/macros").json()["results"]] == ["Resolve with thanks"]
    response = api.post(f"/tickets/{desk.mine.pk}/macros/{macro.pk}/apply")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["tags"]) == ("resolved", "p4", ["done"])
    replies = api.get(f"/tickets/{desk.mine.pk}/replies").json()["results"]
    assert [(r["body_text"], r["internal"]) for r in replies[1:]] == [
        ("Closed by macro", True),
        ("Thanks End User!", False),
    ]


def test_broken_or_unknown_macros(world, desk, api_as):
    api = api_as("technician_a")
    assert api.post(f"/tickets/{desk.mine.pk}/macros/999999/apply").status_code == 404
    broken = Macro.objects.create(provider=world.provider, name="Broken", actions={"status": "merged"})
    response = api.post(f"/tickets/{desk.mine.pk}/macros/{broken.pk}/apply")
    assert response.status_code == 422
    assert "actions" in error_fields(response)
    assert Ticket.unscoped.get(pk=desk.mine.pk).status == "new"
    assert api.post(f"/tickets/{desk.other.pk}/macros/{broken.pk}/apply").status_code == 404


# ---- Saved views ------------------------------------------------------------------------------


def test_saved_views(world, api_as, session_as):
    tech = api_as("technician_a")
    shared = tech.post(
        "/ticket-views",
        {"name": "Unassigned", "query": {"status": "open", "assignee": "none"}, "shared": True},
    )
    assert shared.status_code == 201, shared.content
    assert shared.json()["query"] == {"status": "open", "assignee": "none"}
    tech.post("/ticket-views", {"name": "Mine", "query": {"assignee": "me"}})
    other_tech = api_as("technician_all")
    assert [row["name"] for row in other_tech.get("/ticket-views").json()["results"]] == ["Unassigned"]
    assert [row["name"] for row in tech.get("/ticket-views").json()["results"]] == ["Mine", "Unassigned"]
    # Same name again: the view is replaced, not duplicated.
    tech.post("/ticket-views", {"name": "Mine", "query": {"assignee": "me", "priority": "p1"}})
    assert SavedView.objects.filter(name="Mine").count() == 1

    customer = session_as("end_user_a")
    assert customer.get("/ticket-views").json()["results"] == []
    own = customer.post("/ticket-views", {"name": "Open", "query": {"status": "open"}})
    assert own.status_code == 201
    assert [row["name"] for row in customer.get("/ticket-views").json()["results"]] == ["Open"]
    refused = customer.post("/ticket-views", {"name": "Everyone", "query": {}, "shared": True})
    assert refused.status_code == 403
    assert not SavedView.objects.filter(name="Everyone").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"query": {}}, "name"),
        ({"name": "", "query": {}}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"name": "x", "query": {"k" * 41: "v"}}, "query"),
        ({"name": "x", "query": {"status": "v" * 201}}, "query.status"),
        ({"name": "x", "query": {"status": 1}}, "query.status"),
        ({"name": "x", "query": {f"k{i}": "v" for i in range(21)}}, "query"),
        ({"name": "x", "query": ["status"]}, "query"),
        ({"name": "x", "shared": "yes"}, "shared"),
        ({"name": "x", "owner_id": 1}, "owner_id"),
    ],
)
def test_bad_saved_views(world, api_as, payload, field):
    response = api_as("technician_a").post("/ticket-views", payload)
    assert response.status_code == 422, response.content
    assert any(name and name.startswith(field) for name in error_fields(response)), response.json()
    assert not SavedView.objects.exists()


# ---- CSAT -------------------------------------------------------------------------------------


def test_csat_summary(world, desk, api_as):
    for ticket, rating in (
        (desk.mine, "good"),
        (desk.staff, "good"),
        (desk.colleague, "bad"),
        (desk.other, "bad"),
    ):
        SatisfactionSurvey.unscoped.create(ticket=ticket, token_hash=f"{ticket.pk:064d}", rating=rating)
    SatisfactionSurvey.unscoped.create(ticket=desk.mine, token_hash="f" * 64)  # not answered
    everyone = api_as("provider_admin").get("/csat/summary").json()
    assert everyone == {"answered": 4, "counts": {"good": 2, "okay": 0, "bad": 2}, "score": 50}
    alpha = api_as("technician_a").get("/csat/summary").json()
    assert alpha == {"answered": 3, "counts": {"good": 2, "okay": 0, "bad": 1}, "score": 67}
    only_b = api_as("provider_admin").get("/csat/summary", {"client_id": world.client_b.pk}).json()
    assert only_b["answered"] == 1
    # Asking for a client out of reach narrows to nothing, it never widens.
    assert (
        api_as("technician_a").get("/csat/summary", {"client_id": world.client_b.pk}).json()["answered"] == 0
    )
    assert api_as("technician_a").get("/csat/summary", {"client_id": "x"}).status_code == 422
