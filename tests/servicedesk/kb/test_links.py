"""Links between articles and tickets: staff only, same client, seen through each scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from steward.servicedesk.services import kb
from tests.servicedesk.kb.conftest import Library, admin_scope, open_ticket_for, scope_of

pytestmark = pytest.mark.django_db


def test_link_and_unlink(world: Any, library: Library) -> None:
    scope = scope_of(world, "technician_a")
    ticket = open_ticket_for(world, world.client_a)
    kb.link(scope, library.global_public, ticket)
    kb.link(scope, library.a_internal, ticket)
    kb.link(scope, library.a_internal, ticket)  # twice is once
    assert [a.pk for a in kb.articles_for_ticket(scope, ticket)] == [
        library.a_internal.pk,
        library.global_public.pk,
    ]
    assert list(kb.tickets_for_article(scope, library.a_internal)) == [ticket]
    kb.unlink(scope, library.a_internal, ticket)
    assert [a.pk for a in kb.articles_for_ticket(scope, ticket)] == [library.global_public.pk]


def test_client_users_see_only_public_linked_articles(world: Any, library: Library) -> None:
    ticket = open_ticket_for(world, world.client_a, user="end_user_a")
    kb.link(admin_scope(world), library.a_public, ticket)
    kb.link(admin_scope(world), library.a_internal, ticket)
    kb.link(admin_scope(world), library.global_internal, ticket)
    seen = [a.pk for a in kb.articles_for_ticket(scope_of(world, "end_user_a"), ticket)]
    assert seen == [library.a_public.pk]


def test_an_articles_client_must_match_the_ticket(world: Any, library: Library) -> None:
    ticket = open_ticket_for(world, world.client_a)
    with pytest.raises(ValidationError):
        kb.link(admin_scope(world), library.b_public, ticket)
    assert not library.b_public.tickets.exists()


def test_technician_a_cannot_link_to_client_bs_ticket_or_article(world: Any, library: Library) -> None:
    scope = scope_of(world, "technician_a")
    ticket_b = open_ticket_for(world, world.client_b)
    ticket_a = open_ticket_for(world, world.client_a)
    with pytest.raises(Http404):
        kb.link(scope, library.global_public, ticket_b)
    with pytest.raises(Http404):
        kb.link(scope, library.b_internal, ticket_a)
    assert not library.global_public.tickets.exists()


@pytest.mark.parametrize("role", ["client_admin_a", "client_it_a", "end_user_a"])
def test_client_users_cannot_link(world: Any, library: Library, role: str) -> None:
    ticket = open_ticket_for(world, world.client_a, user="end_user_a")
    with pytest.raises(PermissionDenied):
        kb.link(scope_of(world, role), library.a_public, ticket)
    kb.link(admin_scope(world), library.a_public, ticket)
    with pytest.raises(PermissionDenied):
        kb.unlink(scope_of(world, role), library.a_public, ticket)
    assert library.a_public.tickets.count() == 1


def test_linked_tickets_are_limited_to_the_viewers_tickets(world: Any, library: Library) -> None:
    ticket_a = open_ticket_for(world, world.client_a)
    ticket_b = open_ticket_for(world, world.client_b)
    kb.link(admin_scope(world), library.global_public, ticket_a)
    kb.link(admin_scope(world), library.global_public, ticket_b)
    assert set(kb.tickets_for_article(admin_scope(world), library.global_public)) == {ticket_a, ticket_b}
    assert list(kb.tickets_for_article(scope_of(world, "technician_a"), library.global_public)) == [ticket_a]
