"""Merge, split, links, parent, watchers and watching."""

from __future__ import annotations

import pytest

from steward.core.scoping import Scope
from steward.servicedesk.models import Reply, Ticket, TicketRelation
from steward.servicedesk.services import conversation
from tests.servicedesk.api.conftest import error_fields, put

pytestmark = pytest.mark.django_db


# ---- Merge ------------------------------------------------------------------------------------


def test_merge(world, desk, api_as):
    response = api_as("technician_a").post(
        f"/tickets/{desk.colleague.pk}/merge", {"target_id": desk.staff.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == desk.staff.pk
    source = Ticket.unscoped.get(pk=desk.colleague.pk)
    assert (source.status, source.merged_into_id) == ("merged", desk.staff.pk)
    assert Reply.unscoped.filter(ticket=desk.staff, body_text__contains="was merged").exists()
    # A merged ticket takes no more replies or merges.
    again = api_as("technician_a").post(f"/tickets/{desk.colleague.pk}/merge", {"target_id": desk.mine.pk})
    assert again.status_code == 422
    reply = api_as("technician_a").post(f"/tickets/{desk.colleague.pk}/replies", {"body": "hello"})
    assert reply.status_code == 422
    assert "merged" in error_fields(reply)["body"]


@pytest.mark.parametrize("target", ["other", "self", "unknown"])
def test_merge_refuses_other_clients_itself_and_unknown_ids(world, desk, api_as, target):
    target_id = {"other": desk.other.pk, "self": desk.mine.pk, "unknown": 999_999}[target]
    response = api_as("technician_all").post(f"/tickets/{desk.mine.pk}/merge", {"target_id": target_id})
    assert response.status_code == 422, response.content
    assert "target_id" in error_fields(response)
    assert Ticket.unscoped.get(pk=desk.mine.pk).status == "new"


def test_technician_cannot_merge_into_a_client_out_of_reach(world, desk, api_as):
    response = api_as("technician_a").post(f"/tickets/{desk.mine.pk}/merge", {"target_id": desk.other.pk})
    assert response.status_code == 422
    assert error_fields(response) == {"target_id": "No such ticket, or outside your access."}


def test_customers_cannot_merge(world, desk, api_as, session_as):
    for api in (api_as("client_admin_a"), session_as("end_user_a")):
        response = api.post(f"/tickets/{desk.mine.pk}/merge", {"target_id": desk.colleague.pk})
        assert response.status_code == 403
    assert Ticket.unscoped.get(pk=desk.mine.pk).status == "new"


# ---- Split ------------------------------------------------------------------------------------


def test_split(world, desk, api_as):
    staff = Scope.system(world.provider.pk)
    second = conversation.add_reply(staff, desk.mine, "Also the printer is broken.", notify=False)
    response = api_as("technician_a").post(
        f"/tickets/{desk.mine.pk}/split", {"reply_ids": [second.pk], "subject": "Printer broken"}
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["subject"] == "Printer broken"
    assert created["client_id"] == world.client_a.pk
    assert Reply.unscoped.get(pk=second.pk).ticket_id == created["id"]
    assert [link["ticket_id"] for link in created["links"]] == [desk.mine.pk]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reply_ids": []}, "reply_ids"),
        ({"reply_ids": ["1"]}, "reply_ids.0"),
        ({"reply_ids": [999_999]}, "reply_ids"),
        ({"reply_ids": [1], "subject": "s" * 256}, "subject"),
        ({"subject": "x"}, "reply_ids"),
    ],
)
def test_bad_splits(world, desk, api_as, payload, field):
    response = api_as("technician_a").post(f"/tickets/{desk.mine.pk}/split", payload)
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert Ticket.unscoped.count() == 4


def test_split_needs_a_reply_of_this_ticket_and_one_left_behind(world, desk, api_as):
    api = api_as("technician_a")
    only = Reply.unscoped.get(ticket=desk.mine)
    assert api.post(f"/tickets/{desk.mine.pk}/split", {"reply_ids": [only.pk]}).status_code == 422
    foreign = Reply.unscoped.get(ticket=desk.other)
    response = api.post(f"/tickets/{desk.mine.pk}/split", {"reply_ids": [foreign.pk]})
    assert response.status_code == 422
    assert Reply.unscoped.get(pk=foreign.pk).ticket_id == desk.other.pk
    assert Ticket.unscoped.count() == 4


# ---- Links ------------------------------------------------------------------------------------


def test_list_and_remove_links(world, desk, api_as):
    relation = TicketRelation.unscoped.create(source=desk.staff, target=desk.mine, kind="blocks")
    api = api_as("technician_a")
    outgoing = api.get(f"/tickets/{desk.staff.pk}/links").json()
    assert outgoing["count"] == 1
    assert outgoing["results"][0] == {
        "id": relation.pk,
        "kind": "blocks",
        "label": "Blocks",
        "direction": "outgoing",
        "ticket_id": desk.mine.pk,
        "reference": f"T-{desk.mine.pk}",
        "subject": "Outlook keeps crashing",
        "status": "new",
    }
    incoming = api.get(f"/tickets/{desk.mine.pk}/links").json()["results"]
    assert [(row["label"], row["direction"]) for row in incoming] == [("Blocked by", "incoming")]
    assert api.get(f"/tickets/{desk.mine.pk}").json()["links"] == incoming

    assert api.send("DELETE", f"/tickets/{desk.mine.pk}/links", {"link_id": 999_999}).status_code == 422
    response = api.send("DELETE", f"/tickets/{desk.mine.pk}/links", {"link_id": relation.pk})
    assert response.status_code == 204
    assert not TicketRelation.unscoped.exists()


def test_end_users_see_links_only_to_tickets_they_see(world, desk, session_as):
    TicketRelation.unscoped.create(source=desk.mine, target=desk.colleague, kind="relates")
    TicketRelation.unscoped.create(source=desk.mine, target=desk.staff, kind="relates")
    desk.staff.watchers.add(world.users["end_user_a"])
    rows = session_as("end_user_a").get(f"/tickets/{desk.mine.pk}/links").json()["results"]
    assert [row["ticket_id"] for row in rows] == [desk.staff.pk]


def test_link_tickets(world, desk, api_as):
    api = api_as("technician_a")
    response = api.post(f"/tickets/{desk.staff.pk}/links", {"target_id": desk.mine.pk, "kind": "blocks"})
    assert response.status_code == 201, response.content
    assert response.json()["label"] == "Blocks"
    assert TicketRelation.unscoped.filter(source=desk.staff, target=desk.mine, kind="blocks").count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"target_id": "x"}, "target_id"),
        ({"target_id": 1, "kind": "loves"}, "kind"),
        ({"kind": "blocks"}, "target_id"),
        ({"target_id": 999_999}, "target_id"),
    ],
)
def test_bad_links(world, desk, api_as, payload, field):
    response = api_as("technician_a").post(f"/tickets/{desk.staff.pk}/links", payload)
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert not TicketRelation.unscoped.exists()


def test_links_to_another_client_are_refused(world, desk, api_as):
    for role in ("technician_a", "technician_all"):
        response = api_as(role).post(f"/tickets/{desk.staff.pk}/links", {"target_id": desk.other.pk})
        assert response.status_code == 422, response.content
        assert "target_id" in error_fields(response)
    assert not TicketRelation.unscoped.exists()


def test_customers_cannot_change_links(world, desk, api_as):
    relation = TicketRelation.unscoped.create(source=desk.mine, target=desk.colleague, kind="relates")
    api = api_as("client_admin_a")
    assert api.post(f"/tickets/{desk.mine.pk}/links", {"target_id": desk.staff.pk}).status_code == 403
    assert api.send("DELETE", f"/tickets/{desk.mine.pk}/links", {"link_id": relation.pk}).status_code == 403
    assert TicketRelation.unscoped.count() == 1


# ---- Parent -----------------------------------------------------------------------------------


def test_set_and_clear_parent(world, desk, api_as):
    api = api_as("technician_a")
    response = put(api, f"/tickets/{desk.mine.pk}/parent", {"parent_id": desk.staff.pk})
    assert response.status_code == 200, response.content
    assert response.json()["parent_id"] == desk.staff.pk
    cycle = put(api, f"/tickets/{desk.staff.pk}/parent", {"parent_id": desk.mine.pk})
    assert cycle.status_code == 422
    assert "parent_id" in error_fields(cycle)
    cleared = put(api, f"/tickets/{desk.mine.pk}/parent", {"parent_id": None})
    assert cleared.json()["parent_id"] is None


@pytest.mark.parametrize("payload", [{}, {"parent_id": "1"}, {"parent_id": 999_999}, {"parent": 1}])
def test_bad_parents(world, desk, api_as, payload):
    response = put(api_as("technician_a"), f"/tickets/{desk.mine.pk}/parent", payload)
    assert response.status_code == 422, response.content
    assert Ticket.unscoped.get(pk=desk.mine.pk).parent_id is None


def test_parent_of_another_client_is_refused(world, desk, api_as):
    response = put(api_as("technician_all"), f"/tickets/{desk.mine.pk}/parent", {"parent_id": desk.other.pk})
    assert response.status_code == 422
    assert "parent_id" in error_fields(response)
    response = put(api_as("client_admin_a"), f"/tickets/{desk.mine.pk}/parent", {"parent_id": desk.staff.pk})
    assert response.status_code == 403
    assert Ticket.unscoped.get(pk=desk.mine.pk).parent_id is None


# ---- Watchers ---------------------------------------------------------------------------------


def test_set_watchers(world, desk, api_as):
    api = api_as("technician_a")
    ids = [world.users["client_it_a"].pk, world.users["technician_a"].pk]
    response = put(api, f"/tickets/{desk.mine.pk}/watchers", {"user_ids": ids})
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()] == sorted(ids)
    assert api.get(f"/tickets/{desk.mine.pk}").json()["watcher_ids"] == sorted(ids)
    assert put(api, f"/tickets/{desk.mine.pk}/watchers", {"user_ids": []}).json() == []


def test_watchers_of_another_client_are_refused(world, desk, api_as):
    api = api_as("technician_all")
    response = put(api, f"/tickets/{desk.mine.pk}/watchers", {"user_ids": [world.users["end_user_b"].pk]})
    assert response.status_code == 422
    assert "user_ids" in error_fields(response)
    assert put(api, f"/tickets/{desk.mine.pk}/watchers", {"user_ids": "1"}).status_code == 422
    response = put(api_as("client_admin_a"), f"/tickets/{desk.mine.pk}/watchers", {"user_ids": []})
    assert response.status_code == 403
    assert not desk.mine.watchers.exists()


def test_watch_and_unwatch(world, desk, api_as, session_as):
    api = api_as("client_it_a")
    assert api.post(f"/tickets/{desk.mine.pk}/watch").json() == {"watching": True}
    assert world.users["client_it_a"] in desk.mine.watchers.all()
    assert api.delete(f"/tickets/{desk.mine.pk}/watch").json() == {"watching": False}
    assert not desk.mine.watchers.exists()
    # An end user watching someone else's ticket sees it, until they stop watching.
    desk.colleague.watchers.add(world.users["end_user_a"])
    end_user = session_as("end_user_a")
    assert end_user.get(f"/tickets/{desk.colleague.pk}").status_code == 200
    assert end_user.delete(f"/tickets/{desk.colleague.pk}/watch").status_code == 200
    assert end_user.get(f"/tickets/{desk.colleague.pk}").status_code == 404
    assert end_user.post(f"/tickets/{desk.colleague.pk}/watch").status_code == 404
