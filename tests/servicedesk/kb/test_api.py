"""/api/v1/kb/…: reading, writing, versions, search, suggestions, ticket links, bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from steward.servicedesk.models import Article
from steward.servicedesk.services import kb
from tests.servicedesk.kb.conftest import Library, admin_scope, open_ticket_for

pytestmark = pytest.mark.django_db

Api = Callable[..., Any]


def _ids(response: Any) -> set[int]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def _assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_list_is_scoped_per_role(world: Any, library: Library, api_for: Api) -> None:
    assert _ids(api_for("provider_admin").get("/kb/articles")) == {a.pk for a in library.all()}
    assert _ids(api_for("technician_a").get("/kb/articles")) == {
        library.global_public.pk,
        library.global_internal.pk,
        library.a_public.pk,
        library.a_internal.pk,
    }
    assert _ids(api_for("end_user_a").get("/kb/articles")) == {library.global_public.pk, library.a_public.pk}
    assert _ids(api_for("end_user_a").get("/kb/articles", {"client_id": world.client_b.pk})) == set()


def test_list_filters(world: Any, library: Library, api_for: Api) -> None:
    api = api_for("provider_admin")
    assert _ids(api.get("/kb/articles", {"is_global": "true"})) == {
        library.global_public.pk,
        library.global_internal.pk,
    }
    assert _ids(api.get("/kb/articles", {"visibility": "internal", "client_id": world.client_a.pk})) == {
        library.a_internal.pk
    }
    found = api.get("/kb/articles", {"q": "printer"}).json()
    assert [row["title"] for row in found["results"]] == ["Alpha printer guide", "Bravo printer guide"]
    assert found["count"] == 2


def test_list_by_ticket(world: Any, library: Library, api_for: Api) -> None:
    ticket = open_ticket_for(world, world.client_a, user="end_user_a")
    kb.link(admin_scope(world), library.a_public, ticket)
    kb.link(admin_scope(world), library.a_internal, ticket)
    assert _ids(api_for("provider_admin").get("/kb/articles", {"ticket_id": ticket.pk})) == {
        library.a_public.pk,
        library.a_internal.pk,
    }
    assert _ids(api_for("end_user_a").get("/kb/articles", {"ticket_id": ticket.pk})) == {library.a_public.pk}
    assert _ids(api_for("client_admin_b").get("/kb/articles", {"ticket_id": ticket.pk})) == set()


def test_detail_includes_rendered_html(world: Any, library: Library, api_for: Api) -> None:
    api = api_for("provider_admin")
    created = api.post(
        "/kb/articles",
        {"title": "Links", "body": "[docs](https://example.com) <script>x</script>", "visibility": "public"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["version"] == 1 and body["client_id"] is None
    assert 'rel="noopener noreferrer nofollow"' in body["html"]
    assert "<script>" not in body["html"] and "&lt;script&gt;" in body["html"]
    detail = api.get(f"/kb/articles/{body['id']}").json()
    assert detail["html"] == body["html"] and detail["body"].startswith("[docs]")


def test_patch_versions_and_restore(world: Any, library: Library, api_for: Api) -> None:
    api = api_for("technician_a")
    pk = library.a_internal.pk
    changed = api.patch(f"/kb/articles/{pk}", {"body": "Second text", "expected_version": 1})
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 2
    stale = api.patch(f"/kb/articles/{pk}", {"body": "Third", "expected_version": 1})
    assert _assert_error(stale, 422)["errors"][0]["field"] == "body"
    versions = api.get(f"/kb/articles/{pk}/versions").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["body"] == "Alpha admin console details."
    restored = api.post(f"/kb/articles/{pk}/restore/1")
    assert restored.status_code == 200, restored.content
    assert restored.json()["version"] == 3
    assert restored.json()["body"] == "Alpha admin console details."
    _assert_error(api.post(f"/kb/articles/{pk}/restore/99"), 404)


def test_delete(world: Any, library: Library, api_for: Api) -> None:
    api = api_for("provider_admin")
    response = api.delete(f"/kb/articles/{library.b_internal.pk}")
    assert response.status_code == 204
    assert not Article.objects.filter(pk=library.b_internal.pk).exists()
    _assert_error(api.delete(f"/kb/articles/{library.b_internal.pk}"), 404)


@pytest.mark.parametrize("role", ["client_admin_a", "end_user_a"])
def test_client_users_read_but_never_write(world: Any, library: Library, api_for: Api, role: str) -> None:
    api = api_for(role)
    assert api.get(f"/kb/articles/{library.a_public.pk}").status_code == 200
    _assert_error(api.get(f"/kb/articles/{library.a_internal.pk}"), 404)
    _assert_error(api.get(f"/kb/articles/{library.b_public.pk}"), 404)
    _assert_error(api.get(f"/kb/articles/{library.a_internal.pk}/versions"), 404)
    _assert_error(api.get(f"/kb/articles/{library.a_public.pk}/versions"), 403)
    _assert_error(api.patch(f"/kb/articles/{library.a_public.pk}", {"body": "defaced"}), 403)
    _assert_error(api.delete(f"/kb/articles/{library.a_public.pk}"), 403)
    _assert_error(api.post(f"/kb/articles/{library.a_public.pk}/restore/1"), 403)
    _assert_error(api.post("/kb/articles", {"title": "x", "body": "y", "client_id": world.client_a.pk}), 403)
    assert Article.objects.get(pk=library.a_public.pk).version == 1


def test_technician_a_cannot_touch_client_b_or_global(world: Any, library: Library, api_for: Api) -> None:
    api = api_for("technician_a")
    _assert_error(api.patch(f"/kb/articles/{library.b_public.pk}", {"body": "x"}), 404)
    _assert_error(api.patch(f"/kb/articles/{library.global_public.pk}", {"body": "x"}), 403)
    body = _assert_error(
        api.post("/kb/articles", {"title": "x", "body": "y", "client_id": world.client_b.pk}), 422
    )
    assert body["errors"][0]["field"] == "client_id"
    _assert_error(api.post("/kb/articles", {"title": "x", "body": "y"}), 403)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x" * 201, "body": "y"}, "title"),
        ({"title": "", "body": "y"}, "title"),
        ({"title": "ok", "body": "y" * (kb.MAX_BODY + 1)}, "body"),
        ({"title": "ok", "body": ""}, "body"),
        ({"title": 12, "body": "y"}, "title"),
        ({"title": "ok", "body": ["y"]}, "body"),
        ({"title": "ok", "body": "y", "visibility": "secret"}, "visibility"),
        ({"title": "ok", "body": "y", "client_id": "1"}, "client_id"),
        ({"title": "ok", "body": "y", "client_id": 0}, "client_id"),
        ({"title": "ok", "body": "y", "client_id": 2**70}, "client_id"),
        ({"title": "ok", "body": "y", "version": 3}, "version"),
        ({"body": "y"}, "title"),
    ],
)
def test_create_refuses_bad_input(world: Any, api_for: Api, payload: dict[str, Any], field: str) -> None:
    body = _assert_error(api_for("provider_admin").post("/kb/articles", payload), 422)
    assert field in {error["field"] for error in body["errors"]}
    assert not Article.objects.exists()


def test_create_refuses_non_json_and_non_objects(world: Any, api_for: Api) -> None:
    api = api_for("provider_admin")
    _assert_error(api.post("/kb/articles", raw="{not json"), 400)
    _assert_error(api.post("/kb/articles", ["title"]), 422)


@pytest.mark.parametrize(
    "payload",
    [{"title": None}, {"body": None}, {"visibility": "hidden"}, {"expected_version": "1"}, {"nope": 1}],
)
def test_patch_refuses_bad_input(world: Any, library: Library, api_for: Api, payload: dict[str, Any]) -> None:
    _assert_error(api_for("provider_admin").patch(f"/kb/articles/{library.a_public.pk}", payload), 422)
    assert Article.objects.get(pk=library.a_public.pk).version == 1


@pytest.mark.parametrize(
    "path", ["/kb/articles/0", "/kb/articles/abc", "/kb/articles/99999999", f"/kb/articles/{2**64}"]
)
def test_unknown_ids_are_json_404(world: Any, api_for: Api, path: str) -> None:
    _assert_error(api_for("provider_admin").get(path), 404)


def test_search_endpoint(world: Any, library: Library, api_for: Api) -> None:
    rows = api_for("end_user_b").get("/kb/search", {"q": "printer"}).json()
    assert [row["title"] for row in rows] == ["Bravo printer guide"]
    _assert_error(api_for("end_user_b").get("/kb/search", {"q": ""}), 422)
    _assert_error(api_for("end_user_b").get("/kb/search", {"q": "x" * 201}), 422)
    _assert_error(api_for("end_user_b").get("/kb/search", {"q": "x", "limit": 0}), 422)


def test_suggest_endpoint(world: Any, library: Library, api_for: Api) -> None:
    rows = (
        api_for("provider_admin")
        .get("/kb/suggest", {"q": "firewall console", "client_id": world.client_a.pk})
        .json()
    )
    assert [row["title"] for row in rows] == ["Alpha firewall notes"]
    rows = (
        api_for("end_user_a")
        .get("/kb/suggest", {"q": "printer colour mono", "client_id": world.client_b.pk})
        .json()
    )
    assert [row["title"] for row in rows] == ["Alpha printer guide"]
    _assert_error(api_for("end_user_a").get("/kb/suggest", {"q": "x" * 2001}), 422)
    _assert_error(api_for("end_user_a").get("/kb/suggest", {"q": "x", "client_id": "abc"}), 422)


def test_ticket_link_endpoints(world: Any, library: Library, api_for: Api) -> None:
    ticket = open_ticket_for(world, world.client_a)
    api = api_for("technician_a")
    path = f"/tickets/{ticket.pk}/articles/{library.a_public.pk}"
    assert api.post(path).status_code == 204
    assert list(library.a_public.tickets.all()) == [ticket]
    assert api.delete(path).status_code == 204
    assert not library.a_public.tickets.exists()
    _assert_error(api.post(f"/tickets/{ticket.pk}/articles/{library.b_public.pk}"), 404)
    _assert_error(api.post(f"/tickets/999999/articles/{library.a_public.pk}"), 404)
    ticket_b = open_ticket_for(world, world.client_b)
    _assert_error(
        api_for("provider_admin").post(f"/tickets/{ticket_b.pk}/articles/{library.a_public.pk}"), 422
    )
    _assert_error(api_for("client_admin_a").post(path), 403)  # sees the ticket, may not link
    _assert_error(api_for("end_user_a").post(path), 404)  # not their ticket
    assert not library.a_public.tickets.exists()
