"""Every role of client A against client B: object endpoints answer 404, lists never show B."""

from __future__ import annotations

import pytest

from steward.core.models import Client, Contact, Site, User
from tests.api.conftest import names

pytestmark = pytest.mark.django_db

ROLES_OF_A = ["technician_a", "client_admin_a", "client_it_a", "end_user_a"]
# Every role by session; every role that may hold tokens (end users may not) by token.
CALLERS = [(role, "session") for role in ROLES_OF_A] + [(role, "token") for role in ROLES_OF_A[:-1]]

B_NAMES = {"Bravo Logistics", "Bravo Secret Depot", "Boris Bravo", "BRAVO", "boris@bravo.example"}


@pytest.fixture
def caller(world, api_as, session_as, request):
    role, via = request.param
    return api_as(role) if via == "token" else session_as(role)


def _b_objects(world):
    return {
        "clients": world.client_b.pk,
        "sites": world.site_b.pk,
        "contacts": world.contact_b.pk,
        "users": world.users["client_admin_b"].pk,
    }


@pytest.mark.parametrize("caller", CALLERS, indirect=True, ids=lambda c: f"{c[0]}-{c[1]}")
def test_object_endpoints_answer_404_for_client_b(world, caller):
    api = caller
    for resource, pk in _b_objects(world).items():
        path = f"/{resource}/{pk}"
        assert api.get(path).status_code == 404, ("GET", path)
        assert api.patch(path, {}).status_code == 404, ("PATCH", path)
        if resource != "users":
            assert api.delete(path).status_code == 404, ("DELETE", path)
        body = api.get(path).content.decode()
        assert not any(name in body for name in B_NAMES)
    # Nothing of B changed.
    assert Client.unscoped.filter(pk=world.client_b.pk).exists()
    assert Site.unscoped.filter(pk=world.site_b.pk).exists()
    assert Contact.unscoped.filter(pk=world.contact_b.pk).exists()


@pytest.mark.parametrize("caller", CALLERS, indirect=True, ids=lambda c: f"{c[0]}-{c[1]}")
def test_lists_never_show_client_b(world, caller):
    api = caller
    b = world.client_b.pk
    for path in ("/clients", "/sites", "/contacts", "/users", "/audit", "/me", "/tokens"):
        for params in ({}, {"client_id": b}, {"q": "bravo"}, {"limit": 500}):
            response = api.get(path, params)
            assert response.status_code in {200, 403}, (path, params, response.content)
            text = response.content.decode()
            assert not any(name in text for name in B_NAMES), (path, params)


@pytest.mark.parametrize("caller", CALLERS, indirect=True, ids=lambda c: f"{c[0]}-{c[1]}")
def test_cannot_create_for_client_b(world, caller):
    api = caller
    b = world.client_b.pk
    attempts = [
        ("/sites", {"client_id": b, "name": "Planted"}),
        ("/contacts", {"client_id": b, "full_name": "Planted"}),
        ("/contacts", {"client_id": world.client_a.pk, "site_id": world.site_b.pk, "full_name": "Planted"}),
        (
            "/users",
            {"client_id": b, "email": "planted@x.example", "full_name": "Planted", "role": "end_user"},
        ),
        ("/tokens", {"name": "Planted", "client_ids": [b]}),
    ]
    for path, payload in attempts:
        response = api.post(path, payload)
        assert response.status_code in {403, 422}, (path, response.content)
    assert not Site.unscoped.filter(name="Planted").exists()
    assert not Contact.unscoped.filter(full_name="Planted").exists()
    assert not User.unscoped.filter(full_name="Planted").exists()


@pytest.mark.parametrize("caller", CALLERS, indirect=True, ids=lambda c: f"{c[0]}-{c[1]}")
def test_cannot_move_own_rows_to_client_b(world, caller):
    api = caller
    api.patch(f"/contacts/{world.contact_a.pk}", {"site_id": world.site_b.pk})
    assert Contact.unscoped.get(pk=world.contact_a.pk).site_id is None
    api.patch(f"/users/{world.users['end_user_a'].pk}", {"granted_client_ids": [world.client_b.pk]})
    assert not world.users["end_user_a"].granted_clients.exists()


@pytest.mark.parametrize("caller", [*CALLERS, ("technician_all", "token")], indirect=True, ids=str)
def test_audit_verify_is_provider_admin_only(world, caller):
    assert caller.get("/audit/verify").status_code == 403


def test_client_b_rows_invisible_in_lists_for_a_even_when_filtered(world, api_as):
    api = api_as("client_admin_a")
    assert names(api.get("/sites", {"client_id": world.client_b.pk})) == set()
    assert api.get("/contacts", {"site_id": world.site_b.pk}).json()["count"] == 0


def test_access_is_checked_before_the_body_is_validated(world, api_as, session_as):
    garbage = {"name": 5, "unknown": True}
    # No permission: 403 even though the body is invalid (no schema probing without access).
    assert session_as("end_user_a").post("/sites", garbage).status_code == 403
    assert api_as("client_admin_a").post("/clients", garbage).status_code == 403
    # Client B's row: 404 whatever the body says.
    assert api_as("client_admin_a").patch(f"/sites/{world.site_b.pk}", garbage).status_code == 404
    # Own row without the permission for the method: 403.
    assert api_as("client_it_a").delete(f"/contacts/{world.contact_a.pk}").status_code == 403
    assert api_as("client_it_a").patch(f"/users/{world.users['end_user_a'].pk}", garbage).status_code == 403
    # Allowed: now the body is validated.
    assert api_as("client_admin_a").patch(f"/sites/{world.site_a.pk}", garbage).status_code == 422
