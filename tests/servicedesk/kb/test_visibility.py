"""Who reads which article: staff by the clients they cover, client users only public ones."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from steward.core.scoping import Scope
from steward.servicedesk.services import kb
from tests.servicedesk.kb.conftest import Library, scope_of

pytestmark = pytest.mark.django_db

# Which of the library's articles each role reads.
EXPECTED = {
    "provider_admin": {
        "global_public",
        "global_internal",
        "a_public",
        "a_internal",
        "b_public",
        "b_internal",
    },
    "technician_all": {
        "global_public",
        "global_internal",
        "a_public",
        "a_internal",
        "b_public",
        "b_internal",
    },
    "technician_a": {"global_public", "global_internal", "a_public", "a_internal"},
    "client_admin_a": {"global_public", "a_public"},
    "client_it_a": {"global_public", "a_public"},
    "end_user_a": {"global_public", "a_public"},
    "client_admin_b": {"global_public", "b_public"},
    "client_it_b": {"global_public", "b_public"},
    "end_user_b": {"global_public", "b_public"},
}


def _names(library: Library) -> dict[int, str]:
    return {getattr(library, name).pk: name for name in EXPECTED["provider_admin"]}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_visibility_matrix(world: Any, library: Library, role: str) -> None:
    scope = scope_of(world, role)
    names = _names(library)
    seen = {names[pk] for pk in kb.visible_articles(scope).values_list("pk", flat=True)}
    assert seen == EXPECTED[role]
    for name, pk in ((n, getattr(library, n).pk) for n in EXPECTED["provider_admin"]):
        if name in EXPECTED[role]:
            assert kb.get_article(scope, pk).pk == pk
        else:
            with pytest.raises(Http404):
                kb.get_article(scope, pk)


@pytest.mark.parametrize("role", ["client_admin_a", "client_it_a", "end_user_a", "technician_a"])
def test_search_and_suggest_never_cross_the_client_line(world: Any, library: Library, role: str) -> None:
    scope = scope_of(world, role)
    found = {a.pk for a in kb.search(scope, "printer")}
    suggested = {a.pk for a in kb.suggest(scope, "bravo printer firewall console", world.client_b.pk)}
    assert library.b_public.pk not in found | suggested
    assert library.b_internal.pk not in found | suggested
    if role != "technician_a":
        assert library.a_internal.pk not in found | suggested
        assert library.global_internal.pk not in found | suggested


def test_other_providers_articles_are_invisible(world: Any, library: Library) -> None:
    from steward.core.models import Provider

    other = Provider.objects.create(name="Other MSP", slug="other")
    scope = Scope.system(other.pk)
    assert not kb.visible_articles(scope).exists()
    with pytest.raises(Http404):
        kb.get_article(scope, library.global_public.pk)


def test_a_user_without_kb_view_is_refused(world: Any, library: Library) -> None:
    scope = scope_of(world, "end_user_a").narrowed(permissions=["tickets.view"])
    with pytest.raises(PermissionDenied):
        kb.visible_articles(scope)


def test_a_client_user_with_no_client_sees_only_global_public(world: Any, library: Library) -> None:
    user = world.users["end_user_a"]
    user.client = None
    scope = Scope.for_user(user)
    assert set(kb.visible_articles(scope).values_list("pk", flat=True)) == {library.global_public.pk}


def test_garbage_ids_are_not_found(world: Any, library: Library) -> None:
    scope = scope_of(world, "provider_admin")
    for raw in ("abc", None, "", "1.5"):
        with pytest.raises(Http404):
            kb.get_article(scope, raw)
