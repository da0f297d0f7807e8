"""/clients: the provider's customer organisations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from steward.core.access import declare
from steward.core.api.auth import guarded
from steward.core.api.common import (
    InputSchema,
    LongText,
    Page,
    PageParams,
    PatchSchema,
    SearchText,
    Str30,
    Str40,
    Str200,
    Str253,
    needs,
    needs_object,
    order,
    paginate,
    path_id,
    scope_of,
    target,
)
from steward.core.api.errors import responses
from steward.core.models import Client
from steward.core.services import tenancy

router = Router(tags=["Clients"])

ClientStatus = Literal["onboarding", "active", "offboarded"]
ClientOrdering = Literal["name", "-name", "short_code", "-short_code", "created_at", "-created_at"]


class ClientOut(Schema):
    id: int
    name: str
    short_code: str
    status: str = Field(description="onboarding, active or offboarded.")
    email_domain: str
    phone: str
    website: str
    notes: str
    created_at: datetime
    updated_at: datetime


class ClientPage(Page):
    results: list[ClientOut]


class ClientCreate(InputSchema):
    name: Str200 = Field(description="Unique (case-insensitively) among the provider's clients.")
    short_code: Str30 = Field(
        description="Letters, digits, '-' and '_'; stored upper-case, unique. E.g. ACME."
    )
    status: ClientStatus = "onboarding"
    email_domain: Str253 = Field("", description="Mail from this domain is recognised as this client's.")
    phone: Str40 = ""
    website: Str200 = Field("", description="A full URL, e.g. https://acme.example.")
    notes: LongText = ""


class ClientPatch(PatchSchema):
    name: Str200 | None = None
    short_code: Str30 | None = None
    status: ClientStatus | None = None
    email_domain: Str253 | None = None
    phone: Str40 | None = None
    website: Str200 | None = None
    notes: LongText | None = None


class ClientFilters(PageParams):
    q: SearchText | None = Field(None, description="Matches name or short code (case-insensitive).")
    status: ClientStatus | None = None
    ordering: ClientOrdering = "name"


CLIENT_ID = path_id("The client's id.")


@router.get(
    "/clients",
    response={200: ClientPage, **responses(403, 422)},
    url_name="client_list",
    auth=guarded(needs("clients.view")),
    operation_id="listClients",
    summary="List clients",
)
def list_clients(request: HttpRequest, filters: Query[ClientFilters]) -> Any:
    """Clients inside your access, filtered and paginated."""
    scope = scope_of(request)
    scope.require("clients.view")
    clients = Client.objects.for_scope(scope)
    if filters.q:
        clients = clients.filter(Q(name__icontains=filters.q) | Q(short_code__icontains=filters.q))
    if filters.status:
        clients = clients.filter(status=filters.status)
    return paginate(order(clients, filters.ordering), filters)


@router.post(
    "/clients",
    response={201: ClientOut, **responses(403, 422)},
    url_name="client_create",
    auth=guarded(
        needs(
            "clients.add",
            all_clients=True,
            refusal="Only staff with access to all clients can create clients.",
        )
    ),
    operation_id="createClient",
    summary="Create a client",
)
def create_client(request: HttpRequest, payload: ClientCreate) -> Any:
    """Needs `clients.add` and access to all clients (provider admins)."""
    client = tenancy.create_client(scope_of(request), payload.model_dump(exclude_unset=True))
    return Status(201, client)


@router.get(
    "/clients/{client_id}",
    response={200: ClientOut, **responses(403, 404, 422)},
    url_name="client_detail",
    operation_id="getClient",
    auth=guarded(needs_object(Client, "client_id")),
    summary="Get a client",
)
def get_client(request: HttpRequest, client_id: int = CLIENT_ID) -> Any:
    return target(request, Client)


@router.patch(
    "/clients/{client_id}",
    response={200: ClientOut, **responses(403, 404, 422)},
    url_name="client_detail",
    operation_id="updateClient",
    auth=guarded(needs_object(Client, "client_id", "clients.change")),
    summary="Change a client",
)
def update_client(request: HttpRequest, payload: ClientPatch, client_id: int = CLIENT_ID) -> Any:
    """Partial update: only the fields sent change. Needs `clients.change`."""
    scope = scope_of(request)
    client = target(request, Client)
    return tenancy.update_client(scope, client, payload.changes())


@router.delete(
    "/clients/{client_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="client_detail",
    operation_id="deleteClient",
    auth=guarded(needs_object(Client, "client_id", "clients.delete")),
    summary="Delete a client",
)
def delete_client(request: HttpRequest, client_id: int = CLIENT_ID) -> Any:
    """Deletes the client **with its sites, contacts and user accounts**. Needs `clients.delete`."""
    scope = scope_of(request)
    tenancy.delete_client(scope, target(request, Client))
    return Status(204, None)


declare("api:client_list", "list", model="core.client", methods=("GET",))
declare(
    "api:client_create",
    "provider",
    methods=("POST",),
    note="POST /clients: only provider admins (clients.add with access to every client) may create clients.",
)
declare("api:client_detail", "object", model="core.client", methods=("GET", "PATCH", "DELETE"))
