"""/tokens: own tokens only, secret shown once, never wider than the caller."""

from __future__ import annotations

import pytest

from steward.core.models import ApiToken
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

SECRET_KEYS = {"secret", "token_hash", "password"}


def test_create_list_revoke(world, api_as):
    api = api_as("client_admin_a", name="bootstrap")
    created = api.post("/tokens", {"name": "PSA sync", "role": "client_it", "days": 30})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("stw_")
    assert body["role"] == "client_it"
    assert body["status"] == "active"
    assert "token_hash" not in body

    new = Api(body["secret"])
    assert new.get("/me").json()["role"] == "client_it"

    listing = api.get("/tokens").json()
    assert listing["count"] == 2
    for row in listing["results"]:
        assert not SECRET_KEYS & set(row)
    assert {row["name"] for row in listing["results"]} == {"bootstrap", "PSA sync"}

    assert api.get(f"/tokens/{body['id']}").json()["name"] == "PSA sync"
    assert api.delete(f"/tokens/{body['id']}").status_code == 204
    assert new.get("/me").status_code == 401
    assert ApiToken.unscoped.get(pk=body["id"]).status == "revoked"


def test_cannot_see_or_revoke_others_tokens(world, api_as, make_token):
    make_token("client_it_a", name="theirs")
    theirs = ApiToken.unscoped.get(name="theirs")
    api = api_as("client_admin_a")  # manages client_it_a, still not their tokens
    assert api.get(f"/tokens/{theirs.pk}").status_code == 404
    assert api.delete(f"/tokens/{theirs.pk}").status_code == 404
    assert "theirs" not in {row["name"] for row in api.get("/tokens").json()["results"]}
    assert ApiToken.unscoped.get(pk=theirs.pk).revoked_at is None


def test_token_cannot_mint_a_wider_token(world, api_as):
    narrow = api_as("client_admin_a", role="client_it")
    response = narrow.post("/tokens", {"name": "escalate", "role": "client_admin"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "role"
    # Without a role it gets the calling token's role, not the owner's.
    assert narrow.post("/tokens", {"name": "same"}).json()["role"] == "client_it"


def test_client_limited_token_mints_only_limited_tokens(world, api_as):
    limited = api_as("provider_admin", client_ids=[world.client_a.pk])
    body = limited.post("/tokens", {"name": "child"}).json()
    assert body["limit_clients"] is True
    assert body["client_ids"] == [world.client_a.pk]
    refused = limited.post("/tokens", {"name": "wider", "client_ids": [world.client_b.pk]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "client_ids"


def test_technician_sees_own_tokens(world, api_as):
    api = api_as("technician_a", name="mine")
    assert [row["name"] for row in api.get("/tokens").json()["results"]] == ["mine"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "days": 0}, "days"),
        ({"name": "ok", "days": 10_000}, "days"),
        ({"name": "ok", "days": "30"}, "days"),
        ({"name": "ok", "role": "root"}, "role"),
        ({"name": "ok", "client_ids": ["1"]}, "client_ids.0"),
        ({"name": "ok", "extra": 1}, "extra"),
    ],
)
def test_bad_token_requests(world, api_as, payload, field):
    response = api_as("provider_admin").post("/tokens", payload)
    assert response.status_code == 422, response.content
    if field:
        assert field in {e["field"] for e in response.json()["errors"]}
