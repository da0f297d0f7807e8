"""/audit filters and chain verification; the OpenAPI document; the access declarations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import get_resolver

from steward.core.access import REGISTRY
from steward.core.models import AuditEntry
from tests.api.conftest import BASE, Api

pytestmark = pytest.mark.django_db


def test_audit_list_filters(world, api_as):
    api = api_as("provider_admin")
    api.patch(f"/clients/{world.client_a.pk}", {"phone": "1"})
    api.patch(f"/sites/{world.site_a.pk}", {"city": "Hull"})
    newest = api.get("/audit").json()["results"]
    assert [r["seq"] for r in newest] == sorted((r["seq"] for r in newest), reverse=True)

    updates = api.get("/audit", {"action": "update", "object_type": "core.site"}).json()
    assert updates["count"] == 1
    row = updates["results"][0]
    assert row["object_id"] == str(world.site_a.pk)
    assert row["actor_type"] == "token"
    assert row["changes"] == {"city": ["", "Hull"]}
    assert "hash" not in row
    assert "prev_hash" not in row

    by_actor = api.get("/audit", {"actor_id": world.users["provider_admin"].pk}).json()
    assert by_actor["count"] >= 2
    by_object = api.get("/audit", {"object_type": "core.client", "object_id": str(world.client_a.pk)}).json()
    assert {r["object_repr"] for r in by_object["results"]} == {"Alpha Dental"}

    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert api.get("/audit", {"since": future}).json()["count"] == 0
    assert api.get("/audit", {"until": "2000-01-01T00:00:00"}).json()["count"] == 0
    assert api.get("/audit", {"since": "yesterday"}).status_code == 422
    assert api.get("/audit", {"limit": 1, "offset": 1}).json()["results"][0]["seq"] == newest[1]["seq"]


def test_audit_list_is_scoped(world, api_as):
    api_as("provider_admin").patch(f"/clients/{world.client_b.pk}", {"phone": "9"})
    rows = api_as("client_admin_a").get("/audit", {"limit": 500}).json()["results"]
    assert rows
    assert all(r["client_id"] == world.client_a.pk for r in rows)
    assert api_as("client_it_a").get("/audit").status_code == 403


def test_audit_verify(world, api_as):
    api = api_as("provider_admin")
    api.patch(f"/clients/{world.client_a.pk}", {"phone": "1"})
    report = api.get("/audit/verify").json()
    assert report["ok"] is True
    assert report["checked"] == AuditEntry.unscoped.count()
    assert report["first_broken_seq"] is None


def test_openapi_document(world):
    response = Api().get("/openapi.json")  # public: describes the API, holds no data
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "Steward API"
    paths = set(doc["paths"])
    for path in (
        "/me",
        "/clients",
        "/clients/{client_id}",
        "/sites",
        "/sites/{site_id}",
        "/contacts",
        "/contacts/{contact_id}",
        "/users",
        "/users/{user_id}",
        "/tokens",
        "/tokens/{token_id}",
        "/audit",
        "/audit/verify",
    ):
        assert f"{BASE}{path}" in paths
    create = doc["paths"][f"{BASE}/clients"]["post"]
    assert create["operationId"] == "createClient"
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    assert create["tags"] == ["Clients"]
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    schemas = doc["components"]["schemas"]
    for name in ("UserOut", "TokenOut", "ClientOut"):
        assert not {"password", "token_hash", "encrypted_secret"} & set(schemas[name]["properties"])
    assert set(schemas["ClientCreate"].get("additionalProperties", {}) or {}) == set()


def test_docs_need_sign_in(world, login_as):
    assert Api().get("/docs").status_code == 302
    assert login_as(world.users["end_user_a"]).get(f"{BASE}/docs").status_code == 200


def test_every_api_route_is_declared():
    api_resolver = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "api")
    route_names = {f"api:{p.name}" for p in api_resolver.url_patterns}
    missing = route_names - set(REGISTRY)
    assert not missing, missing
    assert REGISTRY["api:client_detail"].kind == "object"
    assert REGISTRY["api:site_create"].create_fields == {"client_id": "core.client"}
