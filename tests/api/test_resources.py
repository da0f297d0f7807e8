"""CRUD of clients, sites, contacts and users, with filters, ordering and pagination."""

from __future__ import annotations

import pytest

from steward.core.models import Client, Contact, Site, User
from tests.api.conftest import names

pytestmark = pytest.mark.django_db


# --- clients -----------------------------------------------------------------------------


def test_client_crud(world, api_as):
    api = api_as("provider_admin")
    created = api.post(
        "/clients",
        {
            "name": "Charlie Cars",
            "short_code": "charlie",
            "website": "https://charlie.example",
            "status": "active",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["short_code"] == "CHARLIE"
    assert body["status"] == "active"
    path = f"/clients/{body['id']}"
    assert api.get(path).json()["name"] == "Charlie Cars"

    patched = api.patch(path, {"phone": "0113 496 0000"})
    assert patched.status_code == 200
    assert patched.json()["phone"] == "0113 496 0000"
    assert patched.json()["website"] == "https://charlie.example"  # untouched: partial update

    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert not Client.unscoped.filter(pk=body["id"]).exists()


def test_client_create_needs_provider_admin(world, api_as, session_as):
    for api in (api_as("technician_all"), api_as("client_admin_a"), session_as("end_user_a")):
        response = api.post("/clients", {"name": "Nope", "short_code": "NOPE"})
        assert response.status_code == 403
    assert api_as("technician_all").delete(f"/clients/{world.client_a.pk}").status_code == 403
    assert api_as("client_admin_a").patch(f"/clients/{world.client_a.pk}", {"name": "X"}).status_code == 403


def test_client_duplicates_are_422_with_the_field(world, api_as):
    api = api_as("provider_admin")
    response = api.post("/clients", {"name": "alpha dental", "short_code": "OTHER"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    response = api.post("/clients", {"name": "Other", "short_code": "alpha"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "short_code"


def test_client_filters_ordering_pagination(world, api_as):
    api = api_as("provider_admin")
    for i in range(5):
        Client.unscoped.create(
            provider=world.provider, name=f"Zulu {i}", short_code=f"Z{i}", status="offboarded"
        )
    assert names(api.get("/clients", {"q": "zulu"})) == {f"Zulu {i}" for i in range(5)}
    assert names(api.get("/clients", {"q": "BRAVO"})) == {"Bravo Logistics"}
    assert names(api.get("/clients", {"status": "active"})) == {"Alpha Dental", "Bravo Logistics"}

    first = api.get("/clients", {"ordering": "-name", "limit": 2}).json()
    assert first["count"] == 7
    assert first["limit"] == 2
    assert first["offset"] == 0
    assert [r["name"] for r in first["results"]] == ["Zulu 4", "Zulu 3"]
    page = api.get("/clients", {"ordering": "name", "limit": 2, "offset": 2}).json()
    assert [r["name"] for r in page["results"]] == ["Zulu 0", "Zulu 1"]
    assert api.get("/clients", {"offset": 100}).json()["results"] == []
    assert api.get("/clients", {"limit": 500}).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10000}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"ordering": "password"}, "ordering"),
        ({"status": "deleted"}, "status"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00byte"}, "q"),
    ],
)
def test_client_list_bad_params(world, api_as, params, field):
    response = api_as("provider_admin").get("/clients", params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"].startswith("Invalid request:")
    assert field in {e["field"] for e in body["errors"]}
    if field == "ordering":
        assert "'-name'" in body["errors"][0]["message"]


# --- sites -------------------------------------------------------------------------------


def test_site_crud(world, api_as):
    api = api_as("client_admin_a")
    created = api.post(
        "/sites", {"client_id": world.client_a.pk, "name": "Leeds", "time_zone": "Europe/London"}
    )
    assert created.status_code == 201, created.content
    site = created.json()
    assert site["client_id"] == world.client_a.pk
    path = f"/sites/{site['id']}"
    assert api.patch(path, {"time_zone": "Asia/Tokyo", "country": "JP"}).json()["time_zone"] == "Asia/Tokyo"
    assert api.delete(path).status_code == 403  # client admins have no sites.delete
    assert api_as("technician_a").delete(path).status_code == 204
    assert not Site.unscoped.filter(pk=site["id"]).exists()


def test_site_filters(world, api_as):
    api = api_as("provider_admin")
    Site.unscoped.create(client=world.client_a, name="Alpha Annex", city="Bath", time_zone="Europe/London")
    assert names(api.get("/sites", {"client_id": world.client_a.pk})) == {"Alpha Main Surgery", "Alpha Annex"}
    assert names(api.get("/sites", {"q": "bath"})) == {"Alpha Annex"}
    assert names(api.get("/sites", {"time_zone": "America/Chicago"})) == {"Bravo Secret Depot"}
    ordered = api.get("/sites", {"ordering": "-name"}).json()["results"]
    assert [r["name"] for r in ordered] == ["Bravo Secret Depot", "Alpha Main Surgery", "Alpha Annex"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "X", "time_zone": "Europe/London" * 10}, "time_zone"),
        ({"name": "X", "country": "GBR"}, "country"),
        ({"name": ""}, "name"),
        ({"name": 12}, "name"),
        ({"name": "X", "client_id": "1"}, "client_id"),
        ({"name": "X", "colour": "red"}, "colour"),
        ({"name": "Alpha main surgery"}, "name"),
    ],
)
def test_site_bad_input(world, api_as, payload, field):
    payload = {"client_id": world.client_a.pk, **payload}
    response = api_as("provider_admin").post("/sites", payload)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}


def test_site_create_without_client(world, api_as):
    response = api_as("provider_admin").post("/sites", {"name": "Orphan"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "client_id", "message": "This field is required."}]


def test_site_cannot_move_client(world, api_as):
    response = api_as("provider_admin").patch(f"/sites/{world.site_a.pk}", {"client_id": world.client_b.pk})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "client_id"


# --- contacts ----------------------------------------------------------------------------


def test_contact_crud(world, api_as):
    api = api_as("client_it_a")
    created = api.post(
        "/contacts",
        {
            "client_id": world.client_a.pk,
            "site_id": world.site_a.pk,
            "full_name": "Dr Ada",
            "is_primary": True,
        },
    )
    assert created.status_code == 201, created.content
    contact = created.json()
    assert contact["site_id"] == world.site_a.pk
    assert contact["is_primary"] is True
    path = f"/contacts/{contact['id']}"
    patched = api.patch(path, {"site_id": None, "email": "ada@alpha.example"}).json()
    assert patched["site_id"] is None
    assert patched["email"] == "ada@alpha.example"
    assert api.delete(path).status_code == 403  # client_it has no contacts.delete
    assert api_as("client_admin_a").delete(path).status_code == 204
    assert not Contact.unscoped.filter(pk=contact["id"]).exists()


def test_contact_site_must_belong_to_client(world, api_as):
    api = api_as("provider_admin")
    response = api.post(
        "/contacts", {"client_id": world.client_a.pk, "site_id": world.site_b.pk, "full_name": "X"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "site_id"
    bad_email = api.post(
        "/contacts", {"client_id": world.client_a.pk, "full_name": "X", "email": "not-an-email"}
    )
    assert bad_email.status_code == 422
    assert bad_email.json()["errors"][0]["field"] == "email"
    truthy = api.post("/contacts", {"client_id": world.client_a.pk, "full_name": "X", "is_primary": "yes"})
    assert truthy.status_code == 422


def test_contact_filters(world, api_as):
    api = api_as("provider_admin")
    Contact.unscoped.create(
        client=world.client_a, site=world.site_a, full_name="Zed Primary", is_primary=True
    )
    assert names(api.get("/contacts", {"is_primary": "true"}), "full_name") == {"Zed Primary"}
    assert names(api.get("/contacts", {"site_id": world.site_a.pk}), "full_name") == {"Zed Primary"}
    assert names(api.get("/contacts", {"client_id": world.client_b.pk}), "full_name") == {"Boris Bravo"}
    assert names(api.get("/contacts", {"q": "alpha.example"}), "full_name") == {"Alice Alpha"}
    ordered = api.get("/contacts", {"ordering": "-full_name"}).json()["results"]
    assert [r["full_name"] for r in ordered] == ["Zed Primary", "Boris Bravo", "Alice Alpha"]


# --- users -------------------------------------------------------------------------------


def test_user_create_and_update(world, api_as):
    api = api_as("client_admin_a")
    created = api.post(
        "/users",
        {
            "email": "New.Person@A.example",
            "full_name": "New Person",
            "role": "end_user",
            "client_id": world.client_a.pk,
        },
    )
    assert created.status_code == 201, created.content
    user = created.json()
    assert user["email"] == "new.person@a.example"
    assert user["client_id"] == world.client_a.pk
    assert not {"password", "mfa_secret", "token_hash"} & set(user)
    assert not User.unscoped.get(pk=user["id"]).has_usable_password()

    path = f"/users/{user['id']}"
    patched = api.patch(path, {"role": "client_it", "mfa_required": True, "is_active": False}).json()
    assert patched["role"] == "client_it"
    assert patched["mfa_required"] is True
    assert patched["is_active"] is False
    # A client admin cannot hand out provider roles.
    refused = api.patch(path, {"role": "technician"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "role"


def test_user_cannot_deactivate_self_or_change_own_role(world, api_as):
    me = world.users["client_admin_a"]
    api = api_as("client_admin_a")
    assert api.patch(f"/users/{me.pk}", {"is_active": False}).status_code == 422
    assert api.patch(f"/users/{me.pk}", {"role": "client_it"}).status_code == 422


def test_technician_grants(world, api_as):
    api = api_as("provider_admin")
    tech = world.users["technician_a"]
    body = api.patch(
        f"/users/{tech.pk}", {"granted_client_ids": [world.client_a.pk, world.client_b.pk]}
    ).json()
    assert body["granted_client_ids"] == sorted([world.client_a.pk, world.client_b.pk])
    created = api.post(
        "/users",
        {
            "email": "t2@northwind.example",
            "full_name": "Tech Two",
            "role": "technician",
            "granted_client_ids": [world.client_b.pk],
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["granted_client_ids"] == [world.client_b.pk]
    unknown = api.patch(f"/users/{tech.pk}", {"granted_client_ids": [987654]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "granted_client_ids"


def test_user_list_filters(world, api_as):
    api = api_as("provider_admin")
    everyone = api.get("/users", {"limit": 500}).json()
    assert everyone["count"] == len(world.users)
    client_a = names(api.get("/users", {"client_id": world.client_a.pk}), "email")
    assert client_a == {u.email for k, u in world.users.items() if k.endswith("_a") and u.client_id}
    assert names(api.get("/users", {"role": "technician"}), "email") == {
        world.users["technician_all"].email,
        world.users["technician_a"].email,
    }
    User.unscoped.filter(pk=world.users["end_user_b"].pk).update(is_active=False)
    assert names(api.get("/users", {"is_active": "false"}), "email") == {world.users["end_user_b"].email}
    assert names(api.get("/users", {"q": "TECH.ALL"}), "email") == {world.users["technician_all"].email}
    assert api.get("/users", {"role": "superuser"}).status_code == 422


def test_client_admin_sees_only_own_users(world, api_as):
    emails = names(api_as("client_admin_a").get("/users"), "email")
    assert emails == {u.email for k, u in world.users.items() if k.endswith("_a") and u.client_id}


def test_end_user_cannot_list_users(world, session_as):
    api = session_as("end_user_a")
    assert api.get("/users").status_code == 403
    assert api.get(f"/users/{world.users['end_user_a'].pk}").status_code == 403
    assert api.get(f"/clients/{world.client_a.pk}").status_code == 200
