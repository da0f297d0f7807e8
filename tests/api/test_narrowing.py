"""A token acts with its own role and clients, never more than its owner."""

from __future__ import annotations

import pytest

from tests.api.conftest import names

pytestmark = pytest.mark.django_db


def test_client_it_token_of_client_admin_cannot_manage_users_or_delete(world, api_as):
    full = api_as("client_admin_a")
    narrow = api_as("client_admin_a", role="client_it")
    contact = f"/contacts/{world.contact_a.pk}"
    user = f"/users/{world.users['end_user_a'].pk}"

    # client_it may change sites and contacts…
    assert narrow.patch(f"/sites/{world.site_a.pk}", {"city": "York"}).status_code == 200
    assert narrow.patch(contact, {"job_title": "Owner"}).status_code == 200
    # …but not delete contacts or manage users, which the owner's own role may.
    response = narrow.delete(contact)
    assert response.status_code == 403
    assert "contacts.delete" in response.json()["detail"]
    assert narrow.patch(user, {"full_name": "Renamed"}).status_code == 403
    assert narrow.get("/audit").status_code == 403
    assert full.patch(user, {"full_name": "Renamed"}).status_code == 200
    assert full.delete(contact).status_code == 204


def test_end_user_token_reads_only(world, api_as):
    api = api_as("client_admin_a", role="end_user")
    assert api.get(f"/clients/{world.client_a.pk}").status_code == 200
    assert api.get("/sites").status_code == 403
    assert api.get(f"/sites/{world.site_a.pk}").status_code == 403
    assert api.post("/sites", {"client_id": world.client_a.pk, "name": "N"}).status_code == 403


def test_provider_admin_token_limited_to_client_a(world, api_as):
    api = api_as("provider_admin", client_ids=[world.client_a.pk])
    assert names(api.get("/clients")) == {"Alpha Dental"}
    assert names(api.get("/sites", {"client_id": world.client_b.pk})) == set()
    for path in (
        f"/clients/{world.client_b.pk}",
        f"/sites/{world.site_b.pk}",
        f"/contacts/{world.contact_b.pk}",
        f"/users/{world.users['client_admin_b'].pk}",
    ):
        assert api.get(path).status_code == 404, path
    # Limited to one client, it cannot create clients nor verify the whole audit chain.
    assert api.post("/clients", {"name": "Charlie", "short_code": "CH"}).status_code == 403
    assert api.get("/audit/verify").status_code == 403
    assert api.post("/sites", {"client_id": world.client_b.pk, "name": "Sneaky"}).status_code == 422


def test_technician_scope_follows_grants(world, api_as):
    api = api_as("technician_a")
    assert names(api.get("/clients")) == {"Alpha Dental"}
    world.users["technician_a"].granted_clients.add(world.client_b)
    assert names(api.get("/clients")) == {"Alpha Dental", "Bravo Logistics"}
