"""Staff actions on a ticket: fields, assignment, links, parent, merge, split, macros, time."""

from __future__ import annotations

import pytest
from django.urls import reverse

from steward.servicedesk.models import Macro, Reply, RunningTimer, Ticket, TicketRelation, TimeEntry, WorkType
from steward.servicedesk.services import structure, tickets
from tests.servicedesk.web.conftest import staff_scope
from tests.tenancy.helpers import assert_csp_clean


def _url(name, ticket):
    return reverse(name, args=[ticket.pk])


def _edit_data(ticket, **extra):
    data = {
        "subject": ticket.subject,
        "ticket_type": ticket.ticket_type,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "priority": "",
        "queue": ticket.queue_id,
    }
    data.update(extra)
    return data


def test_edit_page_and_panel(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    response = http.get(_url("ticket_edit", desk.ticket_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_clean(html)
    assert 'id="ticket-edit-form"' in html
    assert "hx-post" not in html.split('id="ticket-edit-form"')[1].split(">")[0]  # a plain form without htmx
    assert desk.device_b.hostname not in html
    response = http.get(_url("ticket_edit", desk.ticket_a), headers={"HX-Request": "true"})
    assert "hx-post" in response.content.decode().split('id="ticket-edit-form"')[1].split(">")[0]


def test_edit_fields(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    ticket = desk.ticket_a
    response = http.post(
        _url("ticket_edit", ticket),
        _edit_data(
            ticket,
            subject="Printer jams on floor 2",
            impact="high",
            urgency="high",
            team=desk.team.pk,
            assignee=world.users["technician_a"].pk,
            site=world.site_a.pk,
            tags="printer, hardware",
            devices=[],
            watchers=[world.users["client_admin_a"].pk, world.users["technician_all"].pk],
            cc_emails="boss@alpha.example",
        ),
    )
    assert response.status_code == 302
    ticket = Ticket.unscoped.get(pk=ticket.pk)
    assert ticket.subject == "Printer jams on floor 2"
    assert ticket.priority == "p1"
    assert ticket.team_id == desk.team.pk
    assert ticket.assignee_id == world.users["technician_a"].pk
    assert ticket.site_id == world.site_a.pk
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["hardware", "printer"]
    assert not ticket.devices.exists()
    assert set(ticket.watchers.values_list("pk", flat=True)) == {
        world.users["client_admin_a"].pk,
        world.users["technician_all"].pk,
    }
    assert ticket.cc_emails == ["boss@alpha.example"]

    # A priority override, then back to the matrix.
    http.post(_url("ticket_edit", ticket), _edit_data(ticket, priority="p4", tags="printer, hardware"))
    assert Ticket.unscoped.get(pk=ticket.pk).priority == "p4"
    ticket = Ticket.unscoped.get(pk=ticket.pk)
    http.post(_url("ticket_edit", ticket), _edit_data(ticket, priority="", tags="printer, hardware"))
    assert Ticket.unscoped.get(pk=ticket.pk).priority == "p1"


def test_edit_errors(world, desk, login_as):
    http = login_as(world.users["technician_a"])
    ticket = desk.ticket_a
    cases = [
        ({"subject": ""}, "subject"),
        ({"subject": "s" * 256}, "subject"),
        ({"impact": "cosmic"}, "impact"),
        ({"queue": 999_999}, "queue"),
        ({"assignee": world.users["end_user_a"].pk}, "assignee"),
        ({"site": world.site_b.pk}, "site"),
        ({"devices": [desk.device_b.pk]}, "devices"),
        ({"watchers": [world.users["end_user_b"].pk]}, "watchers"),
        ({"cc_emails": "nope"}, "cc_emails"),
    ]
    for extra, field in cases:
        response = http.post(_url("ticket_edit", ticket), _edit_data(ticket, **extra))
        assert response.status_code == 200
        assert field in response.context["form"].errors, field
        assert world.client_b.name not in response.content.decode()
        response = http.post(
            _url("ticket_edit", ticket), _edit_data(ticket, **extra), headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        assert "ticket-edit-form" in response.content.decode()  # the panel shows the form again, with errors
    assert Ticket.unscoped.get(pk=ticket.pk).subject == "Alpha printer jams"


def test_assign(world, desk, login_as):
    http = login_as(world.users["technician_a"])
    http.post(_url("ticket_assign", desk.ticket_a), {"assignee": "me"})
    assert Ticket.unscoped.get(pk=desk.ticket_a.pk).assignee_id == world.users["technician_a"].pk
    http.post(_url("ticket_assign", desk.ticket_a), {"assignee": "none"})
    assert Ticket.unscoped.get(pk=desk.ticket_a.pk).assignee_id is None
    response = http.post(_url("ticket_assign", desk.ticket_a), {"assignee": "abc"})
    assert response.status_code == 302
    assert Ticket.unscoped.get(pk=desk.ticket_a.pk).assignee_id is None


def test_staff_status_changes(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    assert http.post(_url("ticket_status", desk.ticket_a), {"status": "closed"}).status_code == 302
    assert Ticket.unscoped.get(pk=desk.ticket_a.pk).status == "closed"
    response = http.post(_url("ticket_status", desk.ticket_a), {"status": "merged"})
    assert response.status_code == 200
    assert "status" in response.context["status_form"].errors


def test_links_and_parent(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    response = http.post(
        _url("ticket_link", desk.ticket_a), {"target": f"T-{desk.ticket_a_other.pk}", "kind": "blocks"}
    )
    assert response.status_code == 302
    relation = TicketRelation.unscoped.get(source=desk.ticket_a)
    assert relation.target_id == desk.ticket_a_other.pk
    html = http.get(reverse("ticket_detail", args=[desk.ticket_a_other.pk])).content.decode()
    assert "Blocked by" in html

    for data, field in [
        ({"target": f"T-{desk.ticket_b.pk}", "kind": "relates"}, "target"),  # another client
        ({"target": "T-999999", "kind": "relates"}, "target"),
        ({"target": "banana", "kind": "relates"}, "target"),
        ({"target": f"T-{desk.ticket_a.pk}", "kind": "relates"}, "target"),  # itself
        ({"target": f"T-{desk.ticket_a_other.pk}", "kind": "loves"}, "kind"),
    ]:
        response = http.post(_url("ticket_link", desk.ticket_a), data)
        assert response.status_code == 200
        assert field in response.context["link_form"].errors, data

    http.post(_url("ticket_unlink", desk.ticket_a), {"relation": relation.pk})
    assert not TicketRelation.unscoped.filter(pk=relation.pk).exists()
    assert http.post(_url("ticket_unlink", desk.ticket_a), {"relation": "x"}).status_code == 302

    http.post(_url("ticket_parent", desk.ticket_a_other), {"parent": str(desk.ticket_a.pk)})
    assert Ticket.unscoped.get(pk=desk.ticket_a_other.pk).parent_id == desk.ticket_a.pk
    response = http.post(_url("ticket_parent", desk.ticket_a), {"parent": str(desk.ticket_a_other.pk)})
    assert "parent" in response.context["parent_form"].errors  # a loop
    response = http.post(_url("ticket_parent", desk.ticket_a), {"parent": str(desk.ticket_b.pk)})
    assert "parent" in response.context["parent_form"].errors
    http.post(_url("ticket_parent", desk.ticket_a_other), {"parent": ""})
    assert Ticket.unscoped.get(pk=desk.ticket_a_other.pk).parent_id is None


def test_merge_in_two_steps(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    url = _url("ticket_merge", desk.ticket_a_other)
    assert http.get(url).status_code == 200
    response = http.post(url, {"target": f"T-{desk.ticket_a.pk}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Merge into T-" in html and 'name="confirm"' in html
    assert Ticket.unscoped.get(pk=desk.ticket_a_other.pk).status != "merged"

    for target in (f"T-{desk.ticket_b.pk}", "T-999999", f"T-{desk.ticket_a_other.pk}", "nonsense"):
        response = http.post(url, {"target": target, "confirm": "1"})
        assert response.status_code == 200
        assert "target" in response.context["form"].errors, target
        assert world.client_b.name not in response.content.decode()

    response = http.post(url, {"target": f"T-{desk.ticket_a.pk}", "confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[desk.ticket_a.pk])
    source = Ticket.unscoped.get(pk=desk.ticket_a_other.pk)
    assert source.status == "merged" and source.merged_into_id == desk.ticket_a.pk
    html = http.get(reverse("ticket_detail", args=[source.pk])).content.decode()
    assert "This ticket was merged into" in html
    assert reverse("ticket_reply", args=[source.pk]) not in html


def test_split(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    replies = list(Reply.unscoped.filter(ticket=desk.ticket_a).order_by("id"))
    url = _url("ticket_split", desk.ticket_a)
    html = http.get(url, {"reply": replies[1].pk}).content.decode()
    assert f'value="{replies[1].pk}" checked' in html
    response = http.post(url, {"replies": [replies[1].pk], "subject": "Photo request"})
    assert response.status_code == 302
    new = Ticket.unscoped.get(subject="Photo request")
    assert Reply.unscoped.get(pk=replies[1].pk).ticket_id == new.pk
    assert TicketRelation.unscoped.filter(source=new, target=desk.ticket_a).exists()
    for data in (
        {"replies": []},
        {"replies": ["999999"]},
        {"replies": ["abc"]},
        {"replies": [r.pk for r in replies]},
    ):
        response = http.post(url, data)
        assert response.status_code == 200
        assert "replies" in response.context["form"].errors, data


def test_macro(world, desk, login_as):
    macro = Macro.objects.create(
        provider=world.provider,
        name="Waiting for photo",
        actions={
            "status": "waiting_on_customer",
            "priority": "p2",
            "add_tags": ["photo"],
            "note": "Asked {requester}",
        },
    )
    http = login_as(world.users["technician_all"])
    assert "Waiting for photo" in http.get(reverse("ticket_detail", args=[desk.ticket_a.pk])).content.decode()
    response = http.post(
        _url("ticket_macro", desk.ticket_a), {"macro": macro.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Applied “Waiting for photo”." in response.content.decode()
    ticket = Ticket.unscoped.get(pk=desk.ticket_a.pk)
    assert ticket.status == "waiting_on_customer"
    assert ticket.priority == "p2"
    assert list(ticket.tags.values_list("name", flat=True)) == ["photo"]
    assert Reply.unscoped.filter(ticket=ticket, visibility="internal", body_text="Asked End User").exists()
    response = http.post(_url("ticket_macro", desk.ticket_a), {"macro": "999999"})
    assert "macro" in response.context["macro_form"].errors


def test_timer_and_time_entries(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    user = world.users["technician_all"]
    http.post(_url("ticket_timer", desk.ticket_a), {"action": "start"})
    assert RunningTimer.unscoped.get(user=user).ticket_id == desk.ticket_a.pk
    html = http.get(reverse("ticket_detail", args=[desk.ticket_a.pk])).content.decode()
    assert "Stop timer" in html and "data-elapsed-since" in html
    # Starting on another ticket books the running one first.
    response = http.post(
        _url("ticket_timer", desk.ticket_a_other), {"action": "start"}, headers={"HX-Request": "true"}
    )
    assert f"on T-{desk.ticket_a.pk} first" in response.content.decode()
    assert TimeEntry.unscoped.filter(ticket=desk.ticket_a, from_timer=True).count() == 1
    work_type = WorkType.objects.create(provider=world.provider, name="On-site", billable_by_default=False)
    http.post(
        _url("ticket_timer", desk.ticket_a_other),
        {"action": "stop", "work_type": work_type.pk, "billable": "yes", "note": "drove over"},
    )
    entry = TimeEntry.unscoped.get(ticket=desk.ticket_a_other)
    assert entry.work_type_id == work_type.pk and entry.billable and entry.note == "drove over"
    assert not RunningTimer.unscoped.filter(user=user).exists()

    for text, minutes in (("1h 30m", 90), ("1:15", 75), ("45", 45), ("1.5h", 90)):
        response = http.post(_url("ticket_time_add", desk.ticket_a), {"minutes": text, "billable": "no"})
        assert response.status_code == 302
        assert TimeEntry.unscoped.filter(ticket=desk.ticket_a, minutes=minutes, billable=False).exists(), text
    for bad in ("abc", "0", "2000", "", "1h 30x", "-5"):
        response = http.post(_url("ticket_time_add", desk.ticket_a), {"minutes": bad})
        assert response.status_code == 200
        assert "minutes" in response.context["time_form"].errors, bad
    response = http.post(
        _url("ticket_time_add", desk.ticket_a), {"minutes": "10", "started_at": "2999-01-01T10:00"}
    )
    assert response.status_code == 200
    assert response.context["time_form"].errors

    html = http.get(reverse("ticket_detail", args=[desk.ticket_a.pk])).content.decode()
    assert "301 min" in html  # 1 (the timer, rounded up to the minute) + 90 + 75 + 45 + 90
    entry = TimeEntry.unscoped.filter(ticket=desk.ticket_a, minutes=45).get()
    http.post(_url("ticket_time_delete", desk.ticket_a), {"entry": entry.pk})
    assert not TimeEntry.unscoped.filter(pk=entry.pk).exists()
    assert http.post(_url("ticket_time_delete", desk.ticket_a), {"entry": "abc"}).status_code == 302


@pytest.mark.parametrize("role", ["technician_a", "provider_admin"])
def test_staff_roles_reach_every_action_page(world, desk, login_as, role):
    http = login_as(world.users[role])
    for name in ("ticket_detail", "ticket_edit", "ticket_merge", "ticket_split"):
        response = http.get(_url(name, desk.ticket_a))
        assert response.status_code == 200, name
        assert_csp_clean(response.content.decode())


def test_merged_ticket_refuses_changes_politely(world, desk, login_as):
    structure.merge(staff_scope(world), desk.ticket_a_other, desk.ticket_a)
    http = login_as(world.users["technician_all"])
    source = Ticket.unscoped.get(pk=desk.ticket_a_other.pk)
    response = http.post(_url("ticket_reply", source), {"body": "late", "visibility": "public"})
    assert response.status_code == 200
    assert "body" in response.context["reply_form"].errors
    response = http.post(_url("ticket_edit", source), _edit_data(source, subject="New"))
    assert response.status_code == 200
    response = http.post(_url("ticket_status", source), {"status": "open"})
    assert response.status_code == 302
    assert Ticket.unscoped.get(pk=source.pk).status == "merged"
    tickets.get_ticket(staff_scope(world), source.pk)  # still reachable by its number
