"""The SLA engine applied to real tickets: which SLA applies, pauses, swaps, sweeps, alerts.

Calendar: Europe/London, Monday to Friday 09:00-17:00 (UTC+0 in November 2026).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail as django_mail

from steward.core.scoping import Scope
from steward.servicedesk.models import BusinessCalendar, ServiceProfile, SlaAlert, SlaPolicy, Ticket
from steward.servicedesk.services import sla, tickets

pytestmark = pytest.mark.django_db
UTC = dt.UTC
MONDAY_9 = dt.datetime(2026, 11, 9, 9, 0, tzinfo=UTC)


def at(hours: float, day: int = 0) -> dt.datetime:
    return MONDAY_9 + dt.timedelta(days=day, hours=hours)


@pytest.fixture
def setup(world):
    office = BusinessCalendar.objects.create(
        provider=world.provider,
        name="Office",
        is_default=True,
        definition={"timezone": "Europe/London", "hours": {"mon-fri": ["09:00-17:00"]}},
    )
    standard = SlaPolicy.objects.create(
        provider=world.provider,
        name="Standard",
        is_default=True,
        definition={
            "warn_at": "80%",
            "targets": {
                "first_response": {"p1": "30m", "p2": "1h", "p3": "2h", "p4": "4h"},
                "resolution": {"p1": "4h", "p2": "8h", "p3": "16h", "p4": "40h"},
            },
        },
    )
    premium = SlaPolicy.objects.create(
        provider=world.provider,
        name="Premium",
        definition={"targets": {"resolution": {"p1": "2h", "p2": "4h", "p3": "8h", "p4": "16h"}}},
    )
    return world, office, standard, premium


def open_at(world, when: dt.datetime, **extra) -> Ticket:
    scope = Scope.for_user(world.users["technician_all"])
    fields = {"client_id": world.client_a.pk, "subject": "Server down", "body": "Help", **extra}
    return tickets.open_ticket(scope, created_at=when, **fields)


def target(ticket: Ticket, metric: str) -> dict:
    return next(t for t in ticket.sla_state["targets"] if t["metric"] == metric)


def test_the_most_specific_sla_applies(setup):
    world, _office, standard, premium = setup
    assert open_at(world, at(0)).sla_state["policy"] == "Standard"  # provider default
    ServiceProfile.objects.create(client=world.client_a, sla_policy=premium)
    ticket = open_at(world, at(0))
    assert (ticket.sla_state["policy"], ticket.sla_state["source"]) == ("Premium", "client")
    ServiceProfile.objects.create(client=world.client_a, site=world.site_a, sla_policy=standard)
    ticket = open_at(world, at(0), site_id=world.site_a.pk)
    assert (ticket.sla_state["policy"], ticket.sla_state["source"]) == ("Standard", "site")
    tech = Scope.for_user(world.users["technician_all"])
    tickets.update_ticket(tech, ticket, {"sla_policy_id": premium.pk})
    assert (ticket.sla_state["policy"], ticket.sla_state["source"]) == ("Premium", "ticket")


def test_due_times_follow_the_calendar_and_pauses(setup):
    world, *_ = setup
    # P3 opened Friday 16:00: 2 business hours for first response = Fri 16-17 + Mon 09-10.
    ticket = open_at(world, at(7, day=4))
    assert ticket.priority == "p3"
    assert target(ticket, "first_response")["due_at"] == "2026-11-16T10:00:00Z"
    # Resolution 16 h: Fri 16-17 (1 h) + Mon (8 h) + Tue 09-16 (7 h) = Tue 17th 16:00.
    assert target(ticket, "resolution")["due_at"] == "2026-11-17T16:00:00Z"
    tech = Scope.for_user(world.users["technician_all"])
    # Waiting on the customer from Mon 10:00 to Tue 10:00 stops the clock for 8 business hours.
    tickets.change_status(tech, ticket, "waiting_on_customer", at=at(1, day=7))
    assert ticket.sla_paused
    tickets.change_status(tech, ticket, "open", at=at(1, day=8))
    ticket.refresh_from_db()
    assert not ticket.sla_paused
    assert target(ticket, "resolution")["due_at"] == "2026-11-18T16:00:00Z"


def test_swapping_the_sla_while_paused_keeps_the_waiting_time(setup):
    world, _office, _standard, premium = setup
    tech = Scope.for_user(world.users["technician_all"])
    ticket = open_at(world, at(0))  # Mon 09:00, P3
    tickets.change_status(tech, ticket, "waiting_on_customer", at=at(2))  # 2 h used
    tickets.update_ticket(tech, ticket, {"sla_policy_id": premium.pk})  # swapped while paused
    tickets.change_status(tech, ticket, "open", at=at(2, day=1))  # resumes Tue 11:00
    ticket.refresh_from_db()
    # Premium P3: 8 h. Used 2 h on Monday; the paused day does not count; 6 h left from
    # Tue 11:00 = Tue 17:00. GLPI lost the waiting time here and would say Mon 17:00.
    resolution = target(ticket, "resolution")
    assert ticket.sla_state["policy"] == "Premium"
    assert resolution["due_at"] == "2026-11-10T17:00:00Z"


def test_changing_a_calendar_is_applied_by_recompute(setup):
    world, office, *_ = setup
    ticket = open_at(world, at(0))
    assert target(ticket, "resolution")["due_at"] == "2026-11-10T17:00:00Z"  # 16 h = Mon + Tue
    office.definition = {"timezone": "Europe/London", "always_open": True}
    office.save()
    assert sla.recompute(sla.tickets_using(calendar=office), now=at(0)) == 1
    ticket.refresh_from_db()
    assert target(ticket, "resolution")["due_at"] == "2026-11-10T01:00:00Z"  # 16 h around the clock


def test_bulk_recompute_stores_exactly_what_a_single_refresh_does(setup):
    """The bulk path (raw SQL reads, epoch rows, one statement per batch on PostgreSQL) must
    agree column for column with the per-ticket path, across several batches."""
    world, _office, _standard, premium = setup
    tech = Scope.for_user(world.users["technician_all"])
    opened = [open_at(world, at(hour, day=hour % 3)) for hour in range(7)]
    tickets.change_status(tech, opened[1], "waiting_on_customer", at=at(3, day=1))
    tickets.change_status(tech, opened[2], "resolved", at=at(5, day=2))
    tickets.update_ticket(tech, opened[3], {"sla_policy_id": premium.pk})
    tickets.update_ticket(tech, opened[4], {"priority": "p1"})
    moment = at(2, day=6)
    columns = ("sla_state", "sla_due_at", "sla_warn_at", "sla_breached", "sla_paused")
    expected = {}
    for ticket in opened:
        sla.refresh(ticket, now=moment)
        expected[ticket.pk] = Ticket.unscoped.filter(pk=ticket.pk).values_list(*columns).get()
    Ticket.unscoped.filter(pk__in=expected).update(sla_state={}, sla_due_at=None, sla_warn_at=None)

    assert sla.recompute(list(expected), now=moment, batch=3) == len(opened)

    stored = {pk: Ticket.unscoped.filter(pk=pk).values_list(*columns).get() for pk in expected}
    assert stored == expected
    assert any(row[3] for row in stored.values()), "some ticket is breached by Monday week"
    assert any(row[4] for row in stored.values()), "the waiting ticket is paused"
    assert any(row[1] is None for row in stored.values()), "the resolved ticket has nothing due"


def test_sweep_warns_then_escalates_once_each(setup, committed):
    world, *_ = setup
    ticket = open_at(world, at(0), assignee_id=world.users["technician_a"].pk, impact="high", urgency="high")
    assert ticket.priority == "p1"  # first response 30 min, warn at 80% = 09:24
    # The ticket is backdated, so against the real clock its targets are long breached:
    # forget those alerts and replay the morning from 09:06.
    SlaAlert.unscoped.filter(ticket=ticket).delete()
    sla.refresh(ticket, now=at(0.1))
    assert ticket.sla_warn_at == at(0.4)
    django_mail.outbox.clear()
    assert [a.kind for a in sla.sweep(now=at(0.3))] == []
    assert [(a.metric, a.kind) for a in sla.sweep(now=at(0.45))] == [("first_response", "warning")]
    assert sla.sweep(now=at(0.46)) == []  # announced once
    breached = sla.sweep(now=at(0.6))
    assert ("first_response", "breach") in [(a.metric, a.kind) for a in breached]
    ticket.refresh_from_db()
    assert ticket.sla_breached
    assert SlaAlert.unscoped.filter(ticket=ticket).count() == len(breached) + 1
    from steward.servicedesk import tasks

    committed(tasks.notify_sla_alert.call_local, ticket.pk, "first_response", "breach")
    alert = django_mail.outbox[-1]
    assert "breached" in alert.subject and world.users["technician_a"].email in alert.to
    assert world.users["provider_admin"].email in alert.to  # a breach escalates to the admins
