"""A request body over Django's limit is a 413 with a JSON message, not a server error."""

import json

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_oversized_json_body_is_413(world, make_token, client):
    token = make_token("provider_admin")
    body = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = client.post(
        "/api/v1/clients", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
