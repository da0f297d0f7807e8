"""Service-desk API helpers: the API clients of tests/api, tickets to work on, uploads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from steward.core.scoping import Scope
from steward.servicedesk.models import Ticket
from steward.servicedesk.services import tickets
from tests.api.conftest import (  # noqa: F401 (fixtures)
    BASE,
    Api,
    _fast_password_hashing,
    api_as,
    make_token,
    session_as,
)


def open_as(world: Any, who: str | None, **fields: Any) -> Ticket:
    """Open a ticket through the service as a user (None: the provider, via a system scope)."""
    scope = Scope.system(world.provider.pk) if who is None else Scope.for_user(world.users[who])
    fields.setdefault("subject", "Printer offline")
    fields.setdefault("body", "The printer does not answer.")
    if who is None:
        fields.setdefault("client_id", world.client_a.pk)
    return tickets.open_ticket(scope, **fields)


@dataclass
class Desk:
    mine: Ticket  # asked for by end_user_a
    colleague: Ticket  # asked for by client_it_a (same client, another person)
    staff: Ticket  # opened by the provider for client A
    other: Ticket  # client B's


@pytest.fixture
def desk(world: Any) -> Desk:
    return Desk(
        mine=open_as(world, "end_user_a", subject="Outlook keeps crashing", body="Since this morning."),
        colleague=open_as(world, "client_it_a", subject="New starter laptop", ticket_type="service_request"),
        staff=open_as(world, None, subject="Patch the file server", ticket_type="proactive", priority="p2"),
        other=open_as(
            world, None, client_id=world.client_b.pk, subject="Bravo router down", body="Depot offline."
        ),
    )


def upload(
    api: Api,
    path: str,
    *,
    payload: Any = None,
    files: list[tuple[str, bytes]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Any:
    """POST multipart/form-data: the JSON ``payload`` part (if any) and ``files`` parts."""
    data: dict[str, Any] = dict(extra or {})
    if payload is not None:
        data["payload"] = payload if isinstance(payload, str) else json.dumps(payload)
    if files:
        data["files"] = [SimpleUploadedFile(name, content) for name, content in files]
    return api.http.post(BASE + path, data, headers=api._headers(None))


def put(api: Api, path: str, data: Any) -> Any:
    return api.send("PUT", path, data)


def error_fields(response: Any) -> dict[str | None, str]:
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return {error["field"]: error["message"] for error in body.get("errors", [])}
