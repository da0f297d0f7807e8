"""/contacts: people at a client (with or without a login)."""

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
    BodyId,
    InputSchema,
    LongText,
    Page,
    PageParams,
    PatchSchema,
    QueryId,
    SearchText,
    Str40,
    Str120,
    Str200,
    Str254,
    StrictBool,
    needs,
    needs_object,
    order,
    paginate,
    path_id,
    scope_of,
    target,
)
from steward.core.api.errors import responses
from steward.core.models import Contact
from steward.core.services import tenancy

router = Router(tags=["Contacts"])

ContactOrdering = Literal["full_name", "-full_name", "created_at", "-created_at"]


class ContactOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    full_name: str
    email: str
    phone: str
    job_title: str
    is_primary: bool
    notes: str
    created_at: datetime
    updated_at: datetime


class ContactPage(Page):
    results: list[ContactOut]


class ContactCreate(InputSchema):
    client_id: BodyId = Field(description="The client the contact belongs to.")
    site_id: BodyId | None = Field(None, description="One of the client's sites, or null.")
    full_name: Str200
    email: Str254 = ""
    phone: Str40 = ""
    job_title: Str120 = ""
    is_primary: StrictBool = Field(False, description="The client's decision maker for IT.")
    notes: LongText = ""


class ContactPatch(PatchSchema):
    nullable_fields = frozenset({"site_id"})

    site_id: BodyId | None = Field(None, description="One of the client's sites, or null to detach.")
    full_name: Str200 | None = None
    email: Str254 | None = None
    phone: Str40 | None = None
    job_title: Str120 | None = None
    is_primary: StrictBool | None = None
    notes: LongText | None = None


class ContactFilters(PageParams):
    client_id: QueryId | None = None
    site_id: QueryId | None = None
    q: SearchText | None = Field(None, description="Matches name, e-mail or job title (case-insensitive).")
    is_primary: bool | None = None
    ordering: ContactOrdering = "full_name"


CONTACT_ID = path_id("The contact's id.")


@router.get(
    "/contacts",
    response={200: ContactPage, **responses(403, 422)},
    url_name="contact_list",
    auth=guarded(needs("contacts.view")),
    operation_id="listContacts",
    summary="List contacts",
)
def list_contacts(request: HttpRequest, filters: Query[ContactFilters]) -> Any:
    scope = scope_of(request)
    scope.require("contacts.view")
    contacts = Contact.objects.for_scope(scope)
    if filters.client_id is not None:
        contacts = contacts.filter(client_id=filters.client_id)
    if filters.site_id is not None:
        contacts = contacts.filter(site_id=filters.site_id)
    if filters.q:
        q = filters.q
        contacts = contacts.filter(
            Q(full_name__icontains=q) | Q(email__icontains=q) | Q(job_title__icontains=q)
        )
    if filters.is_primary is not None:
        contacts = contacts.filter(is_primary=filters.is_primary)
    return paginate(order(contacts, filters.ordering), filters)


@router.post(
    "/contacts",
    response={201: ContactOut, **responses(403, 422)},
    url_name="contact_create",
    auth=guarded(needs("contacts.add")),
    operation_id="createContact",
    summary="Create a contact",
)
def create_contact(request: HttpRequest, payload: ContactCreate) -> Any:
    """Needs `contacts.add`; the client (and site) must be inside your access."""
    data = payload.model_dump(exclude_unset=True)
    client_id = data.pop("client_id")
    return Status(201, tenancy.create_contact(scope_of(request), client_id, data))


@router.get(
    "/contacts/{contact_id}",
    response={200: ContactOut, **responses(403, 404, 422)},
    url_name="contact_detail",
    operation_id="getContact",
    auth=guarded(needs_object(Contact, "contact_id")),
    summary="Get a contact",
)
def get_contact(request: HttpRequest, contact_id: int = CONTACT_ID) -> Any:
    return target(request, Contact)


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, **responses(403, 404, 422)},
    url_name="contact_detail",
    operation_id="updateContact",
    auth=guarded(needs_object(Contact, "contact_id", "contacts.change")),
    summary="Change a contact",
)
def update_contact(request: HttpRequest, payload: ContactPatch, contact_id: int = CONTACT_ID) -> Any:
    """Partial update. Needs `contacts.change`."""
    scope = scope_of(request)
    return tenancy.update_contact(scope, target(request, Contact), payload.changes())


@router.delete(
    "/contacts/{contact_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="contact_detail",
    operation_id="deleteContact",
    auth=guarded(needs_object(Contact, "contact_id", "contacts.delete")),
    summary="Delete a contact",
)
def delete_contact(request: HttpRequest, contact_id: int = CONTACT_ID) -> Any:
    """Needs `contacts.delete`."""
    scope = scope_of(request)
    tenancy.delete_contact(scope, target(request, Contact))
    return Status(204, None)


declare("api:contact_list", "list", model="core.contact", methods=("GET",))
declare(
    "api:contact_create",
    "create",
    model="core.contact",
    methods=("POST",),
    create_fields={"client_id": "core.client", "site_id": "core.site"},
)
declare("api:contact_detail", "object", model="core.contact", methods=("GET", "PATCH", "DELETE"))
