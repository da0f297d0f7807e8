"""Writing articles: validation, permissions, versions, restore, diff and delete."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from steward.core.models import AuditEntry
from steward.servicedesk.models import Article, ArticleVersion
from steward.servicedesk.services import kb
from tests.servicedesk.kb.conftest import Library, admin_scope, scope_of

pytestmark = pytest.mark.django_db


def _versions(article: Article) -> list[tuple[int, str, str]]:
    rows = ArticleVersion.objects.filter(article=article).order_by("version")
    return [(v.version, v.title, v.body) for v in rows]


def test_create_writes_version_one_and_an_audit_entry(world: Any) -> None:
    scope = admin_scope(world)
    article = kb.create_article(
        scope, {"title": "  VPN setup  ", "body": "Install the client.", "client_id": world.client_a.pk}
    )
    assert (article.title, article.version, article.visibility) == ("VPN setup", 1, "internal")
    assert article.client_id == world.client_a.pk
    assert article.created_by == world.users["provider_admin"]
    assert _versions(article) == [(1, "VPN setup", "Install the client.")]
    version = ArticleVersion.objects.get(article=article)
    assert version.edited_by == world.users["provider_admin"]
    entry = AuditEntry.unscoped.filter(object_type="servicedesk.article", object_id=str(article.pk)).get()
    assert entry.action == "create"
    assert entry.client_id == world.client_a.pk


def test_each_real_change_bumps_the_version(world: Any) -> None:
    scope = admin_scope(world)
    article = kb.create_article(scope, {"title": "Printers", "body": "v1", "visibility": "public"})
    article = kb.update_article(scope, article, {"body": "v2"})
    article = kb.update_article(scope, article, {"title": "Printing", "visibility": "internal"})
    assert article.version == 3
    assert _versions(article) == [(1, "Printers", "v1"), (2, "Printers", "v2"), (3, "Printing", "v2")]
    assert ArticleVersion.objects.get(article=article, version=3).visibility == "internal"
    unchanged = kb.update_article(scope, article, {"title": "Printing", "body": "v2"})
    assert unchanged.version == 3
    assert ArticleVersion.objects.filter(article=article).count() == 3


def test_stale_editor_is_refused(world: Any) -> None:
    scope = admin_scope(world)
    article = kb.create_article(scope, {"title": "Backups", "body": "v1"})
    kb.update_article(scope, article, {"body": "someone else"}, expected_version=1)
    with pytest.raises(kb.StaleVersion) as caught:
        kb.update_article(scope, article, {"body": "mine"}, expected_version=1)
    assert "version 2" in str(caught.value)
    assert Article.objects.get(pk=article.pk).body == "someone else"


def test_restore_writes_the_old_text_as_a_new_version(world: Any) -> None:
    scope = admin_scope(world)
    article = kb.create_article(scope, {"title": "Wi-Fi", "body": "old password", "visibility": "public"})
    article = kb.update_article(
        scope, article, {"title": "Wi-Fi guest", "body": "new", "visibility": "internal"}
    )
    restored = kb.restore_version(scope, article, 1)
    assert restored.version == 3
    assert (restored.title, restored.body, restored.visibility) == ("Wi-Fi", "old password", "public")
    assert [v[0] for v in _versions(restored)] == [1, 2, 3]
    # Restoring the current text again still records that it happened.
    again = kb.restore_version(scope, restored, 3)
    assert again.version == 4


def test_restore_of_an_unknown_version_is_not_found(world: Any) -> None:
    from django.http import Http404

    scope = admin_scope(world)
    article = kb.create_article(scope, {"title": "Wi-Fi", "body": "x"})
    for bad in (9, 0, "x"):
        with pytest.raises(Http404):
            kb.restore_version(scope, article, bad)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "   ", "body": "x"}, "title"),
        ({"title": "x" * 201, "body": "x"}, "title"),
        ({"title": "ok", "body": ""}, "body"),
        ({"title": "ok", "body": "\n\n"}, "body"),
        ({"title": "ok", "body": "x" * (kb.MAX_BODY + 1)}, "body"),
        ({"title": "ok", "body": "x", "visibility": "secret"}, "visibility"),
        ({"title": 5, "body": "x"}, "title"),
        ({"title": "ok", "body": "x", "client_id": "abc"}, "client"),
        ({"title": "ok", "body": "x", "client_id": 999999}, "client"),
        ({"title": "ok", "body": "x", "version": 7}, "version"),
    ],
)
def test_bad_input_is_refused_with_the_field(world: Any, data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        kb.create_article(admin_scope(world), data)
    assert field in caught.value.message_dict
    assert not Article.objects.exists()


def test_nul_characters_are_dropped(world: Any) -> None:
    article = kb.create_article(admin_scope(world), {"title": "A\x00B", "body": "x\x00y"})
    assert (article.title, article.body) == ("AB", "xy")


@pytest.mark.parametrize("role", ["client_admin_a", "client_it_a", "end_user_a"])
def test_client_users_cannot_write(world: Any, library: Library, role: str) -> None:
    scope = scope_of(world, role)
    with pytest.raises(PermissionDenied):
        kb.create_article(scope, {"title": "x", "body": "y", "client_id": world.client_a.pk})
    with pytest.raises(PermissionDenied):
        kb.update_article(scope, library.a_public, {"body": "defaced"})
    with pytest.raises(PermissionDenied):
        kb.delete_article(scope, library.a_public)
    with pytest.raises(PermissionDenied):
        kb.restore_version(scope, library.a_public, 1)
    assert Article.objects.get(pk=library.a_public.pk).body == "The Alpha copier prints in colour."


def test_limited_technician_writes_only_for_covered_clients(world: Any, library: Library) -> None:
    scope = scope_of(world, "technician_a")
    mine = kb.create_article(scope, {"title": "Alpha VPN", "body": "x", "client_id": world.client_a.pk})
    assert mine.client_id == world.client_a.pk
    with pytest.raises(ValidationError):
        kb.create_article(scope, {"title": "Bravo VPN", "body": "x", "client_id": world.client_b.pk})
    with pytest.raises(PermissionDenied):
        kb.create_article(scope, {"title": "Global", "body": "x"})
    with pytest.raises(PermissionDenied):
        kb.update_article(scope, library.global_public, {"body": "changed"})
    with pytest.raises(PermissionDenied):
        kb.update_article(scope, library.b_public, {"body": "changed"})
    with pytest.raises(PermissionDenied):
        kb.update_article(scope, mine, {"client_id": None})
    with pytest.raises(ValidationError):
        kb.update_article(scope, mine, {"client_id": world.client_b.pk})
    assert kb.can_edit(scope, library.a_internal)
    assert not kb.can_edit(scope, library.global_internal)
    updated = kb.update_article(scope, library.a_internal, {"body": "new notes"})
    assert updated.version == 2


def test_moving_an_article_with_links_to_another_client_is_refused(world: Any, library: Library) -> None:
    from tests.servicedesk.kb.conftest import open_ticket_for

    scope = admin_scope(world)
    ticket = open_ticket_for(world, world.client_a)
    kb.link(scope, library.global_public, ticket)
    with pytest.raises(ValidationError):
        kb.update_article(scope, library.global_public, {"client_id": world.client_b.pk})
    moved = kb.update_article(scope, library.global_public, {"client_id": world.client_a.pk})
    assert moved.client_id == world.client_a.pk


def test_delete_removes_the_history_and_is_audited(world: Any, library: Library) -> None:
    scope = admin_scope(world)
    pk = library.a_internal.pk
    kb.delete_article(scope, library.a_internal)
    assert not Article.objects.filter(pk=pk).exists()
    assert not ArticleVersion.objects.filter(article_id=pk).exists()
    assert AuditEntry.unscoped.filter(
        object_type="servicedesk.article", object_id=str(pk), action="delete"
    ).exists()


def test_diff_marks_added_and_removed_lines() -> None:
    rows = kb.diff("one\ntwo\nthree", "one\n2\nthree\nfour")
    kinds = [(row.kind, row.text) for row in rows]
    assert ("remove", "two") in kinds
    assert ("add", "2") in kinds
    assert ("add", "four") in kinds
    assert ("context", "one") in kinds
    assert kinds[0][0] == "hunk"
    assert kb.diff("same", "same") == []


def test_history_is_for_staff_only(world: Any, library: Library) -> None:
    """A public article's first draft may have held internal details: clients never see it."""
    scope = admin_scope(world)
    kb.update_article(scope, library.a_public, {"body": "Cleaned for the portal."})
    with pytest.raises(PermissionDenied):
        kb.versions(scope_of(world, "client_admin_a"), library.a_public)
    with pytest.raises(PermissionDenied):
        kb.get_version(scope_of(world, "end_user_a"), library.a_public, 1)
    assert [v.version for v in kb.versions(scope_of(world, "technician_a"), library.a_public)] == [2, 1]
