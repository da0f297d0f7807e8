"""The benchmark's seeder stays runnable: a small seed gives searchable, consistent data."""

import sys
from pathlib import Path

import pytest

from steward.core.scoping import Scope
from steward.servicedesk.models import Reply, Ticket, TicketEvent
from steward.servicedesk.services import search

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import servicedesk_seed

pytestmark = pytest.mark.django_db(transaction=True)


def test_small_seed_is_consistent_and_searchable() -> None:
    report = servicedesk_seed.seed(clients=5, tickets=300, replies_per_ticket=4, technicians=3, chunk=128)
    assert Ticket.unscoped.count() == report.tickets == 300
    assert Reply.unscoped.count() == report.replies >= 300
    assert TicketEvent.unscoped.filter(kind="created").count() == 300
    scope = Scope.system(report.provider_id)
    tickets = Ticket.objects.for_scope(scope)
    rare = list(search.search(tickets, report.rare_word, include_internal=False))
    assert [t.pk for t in rare] == list(
        Ticket.unscoped.filter(search_public__contains=report.rare_word).values_list("pk", flat=True)
    )
    assert rare
    # The index was rebuilt and the triggers restored: a later edit is searchable at once.
    ticket = tickets.order_by("pk").first()
    ticket.search_public += "\nquuxfrobnicate"
    ticket.save()
    assert list(search.search(tickets, "quuxfrobnicate", include_internal=False)) == [ticket]
