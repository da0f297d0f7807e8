"""Bad input gets a clear JSON 4xx, never a 500; unexpected errors get a JSON 500."""

from __future__ import annotations

import logging

import pytest

from steward.core.api import clients as clients_api
from tests.api.conftest import BASE

pytestmark = pytest.mark.django_db


def _json_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


@pytest.mark.parametrize(
    "raw",
    ["{bad json", "{'single': 'quotes'}", '{"name": "x",}', "\xff\xfe", b"\xff\xfe\x00"],
)
def test_malformed_json_is_400(world, api_as, raw):
    body = _json_error(api_as("provider_admin").post("/clients", raw=raw), 400)
    assert body["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize("raw", ["[]", "[1, 2]", '"text"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_422(world, api_as, raw):
    body = _json_error(api_as("provider_admin").post("/clients", raw=raw), 422)
    assert "JSON object" in body["detail"]


def test_empty_body_is_422(world, api_as):
    _json_error(api_as("provider_admin").post("/clients", raw=""), 422)


def test_form_encoded_body_is_400(world, api_as):
    response = api_as("provider_admin").post(
        "/clients", raw="name=x&short_code=y", content_type="application/x-www-form-urlencoded"
    )
    _json_error(response, 400)


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"name": 5, "short_code": "OK"}, "name", "valid string"),
        ({"name": ["a"], "short_code": "OK"}, "name", "valid string"),
        ({"name": "x" * 201, "short_code": "OK"}, "name", "at most 200"),
        ({"name": "Fine", "short_code": "OK", "notes": "n" * 20_001}, "notes", "at most"),
        ({"name": "Fine", "short_code": "OK", "admin": True}, "admin", "Unknown field"),
        ({"name": "Fine", "short_code": "OK", "status": "gone"}, "status", "'active'"),
        ({"name": "Fine"}, "short_code", "required"),
        ({"name": "Fine", "short_code": "has space"}, "short_code", ""),
        ({"name": "Fine", "short_code": "OK", "website": "javascript:alert(1)"}, "website", ""),
        ({"name": "Nul\x00", "short_code": "OK"}, "name", "NUL"),
        ({"name": "Fine", "short_code": "OK", "id": 1}, "id", "Unknown field"),
    ],
)
def test_bad_client_input_is_422(world, api_as, payload, field, fragment):
    body = _json_error(api_as("provider_admin").post("/clients", payload), 422)
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert field in messages, body
    assert fragment in messages[field]


def test_patch_rejects_null_and_unknown_fields(world, api_as):
    api = api_as("provider_admin")
    body = _json_error(api.patch(f"/clients/{world.client_a.pk}", {"name": None, "provider_id": 9}), 422)
    assert {e["field"] for e in body["errors"]} == {"name", "provider_id"}


@pytest.mark.parametrize(
    "path",
    [
        "/clients/abc",
        "/clients/1.5",
        "/clients/-1",
        "/clients/0",
        "/clients/99999999999999999999999999",
        "/sites/%00",
        "/contacts/1e3",
        "/users/%20",
        "/tokens/abc",
    ],
)
def test_bad_ids_in_path_are_404_or_422(world, api_as, path):
    api = api_as("provider_admin")
    for response in (api.get(path), api.patch(path, {}), api.delete(path)):
        assert response.status_code in {404, 405, 422}, (path, response.status_code)
        _json_error(response, response.status_code)


def test_unknown_ids_are_404(world, api_as):
    api = api_as("provider_admin")
    for path in ("/clients/424242", "/sites/424242", "/contacts/424242", "/users/424242", "/tokens/424242"):
        body = _json_error(api.get(path), 404)
        assert body["detail"] == "Not found, or outside your access."


def test_method_not_allowed_is_json_405(world, api_as):
    api = api_as("provider_admin")
    response = api.send("PUT", f"/clients/{world.client_a.pk}", {"name": "x"})
    body = _json_error(response, 405)
    assert "PUT" in body["detail"]
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH", "DELETE"}
    _json_error(api.delete("/clients"), 405)
    _json_error(api.send("DELETE", f"/users/{world.users['end_user_a'].pk}"), 405)


def test_unknown_api_path_is_json_404(world, api_as):
    _json_error(api_as("provider_admin").get("/no-such-thing"), 404)


def test_unexpected_error_is_logged_json_500_without_traceback(world, api_as, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("kaboom-secret-detail")

    monkeypatch.setattr(clients_api.tenancy, "update_client", explode)
    with caplog.at_level(logging.ERROR, logger="steward.api"):
        response = api_as("provider_admin").patch(f"/clients/{world.client_a.pk}", {"phone": "1"})
    body = _json_error(response, 500)
    assert "kaboom" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert "request id" in body["detail"]
    assert any("kaboom-secret-detail" in str(r.exc_info) for r in caplog.records)


def test_error_responses_are_not_cached(world):
    from django.test import Client as HttpClient

    response = HttpClient().get(f"{BASE}/me")
    assert response["Cache-Control"] == "no-store"
