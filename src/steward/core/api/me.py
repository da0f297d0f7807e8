"""/me: who the API thinks you are, and what you may reach."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from steward.core.access import declare
from steward.core.api.common import principal
from steward.core.api.errors import responses
from steward.core.api.tokens import TokenOut
from steward.core.models import Client

router = Router(tags=["Me"])


class MeUser(Schema):
    id: int
    email: str
    full_name: str
    role: str
    client_id: int | None


class ClientRef(Schema):
    id: int
    name: str
    short_code: str


class MeOut(Schema):
    user: MeUser
    auth_method: str = Field(description="token or session.")
    role: str = Field(description="The role you act with now (a token's role may be lower than your own).")
    permissions: list[str]
    all_clients: bool = Field(description="True when you reach every client of the provider.")
    clients: list[ClientRef] = Field(description="The clients inside your access.")
    token: TokenOut | None = Field(description="The token used for this request, if any.")


@router.get(
    "/me",
    response={200: MeOut, **responses()},
    url_name="me",
    operation_id="getMe",
    summary="Who am I",
)
def me(request: HttpRequest) -> Any:
    who = principal(request)
    scope = who.scope
    return {
        "user": who.user,
        "auth_method": who.method,
        "role": who.role,
        "permissions": sorted(scope.permissions),
        "all_clients": scope.all_clients,
        "clients": list(Client.objects.for_scope(scope).order_by("name", "pk")),
        "token": who.token,
    }


declare("api:me", "self", methods=("GET",))
