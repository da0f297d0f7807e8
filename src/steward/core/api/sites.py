"""/sites: a client's locations, each with its own time zone."""

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
    Str2,
    Str20,
    Str40,
    Str64,
    Str100,
    Str200,
    needs,
    needs_object,
    order,
    paginate,
    path_id,
    scope_of,
    target,
)
from steward.core.api.errors import responses
from steward.core.models import Site
from steward.core.services import tenancy

router = Router(tags=["Sites"])

SiteOrdering = Literal["name", "-name", "created_at", "-created_at"]


class SiteOut(Schema):
    id: int
    client_id: int
    name: str
    time_zone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str
    notes: str
    created_at: datetime
    updated_at: datetime


class SitePage(Page):
    results: list[SiteOut]


class SiteFields(InputSchema):
    name: Str200 = Field(description="Unique (case-insensitively) among the client's sites.")
    time_zone: Str64 = Field("UTC", description="An IANA time zone, e.g. Europe/London.")
    address_line1: Str200 = ""
    address_line2: Str200 = ""
    city: Str100 = ""
    region: Str100 = ""
    postal_code: Str20 = ""
    country: Str2 = Field("", description="ISO 3166 two-letter code, e.g. GB.")
    phone: Str40 = ""
    notes: LongText = ""


class SiteCreate(SiteFields):
    client_id: BodyId = Field(description="The client the site belongs to.")


class SitePatch(PatchSchema):
    name: Str200 | None = None
    time_zone: Str64 | None = None
    address_line1: Str200 | None = None
    address_line2: Str200 | None = None
    city: Str100 | None = None
    region: Str100 | None = None
    postal_code: Str20 | None = None
    country: Str2 | None = None
    phone: Str40 | None = None
    notes: LongText | None = None


class SiteFilters(PageParams):
    client_id: QueryId | None = None
    q: SearchText | None = Field(None, description="Matches name or city (case-insensitive).")
    time_zone: Str64 | None = None
    ordering: SiteOrdering = "name"


SITE_ID = path_id("The site's id.")


@router.get(
    "/sites",
    response={200: SitePage, **responses(403, 422)},
    url_name="site_list",
    auth=guarded(needs("sites.view")),
    operation_id="listSites",
    summary="List sites",
)
def list_sites(request: HttpRequest, filters: Query[SiteFilters]) -> Any:
    scope = scope_of(request)
    scope.require("sites.view")
    sites = Site.objects.for_scope(scope)
    if filters.client_id is not None:
        sites = sites.filter(client_id=filters.client_id)
    if filters.q:
        sites = sites.filter(Q(name__icontains=filters.q) | Q(city__icontains=filters.q))
    if filters.time_zone:
        sites = sites.filter(time_zone=filters.time_zone)
    return paginate(order(sites, filters.ordering), filters)


@router.post(
    "/sites",
    response={201: SiteOut, **responses(403, 422)},
    url_name="site_create",
    auth=guarded(needs("sites.add")),
    operation_id="createSite",
    summary="Create a site",
)
def create_site(request: HttpRequest, payload: SiteCreate) -> Any:
    """Needs `sites.add`; the client must be inside your access."""
    data = payload.model_dump(exclude_unset=True)
    client_id = data.pop("client_id")
    return Status(201, tenancy.create_site(scope_of(request), client_id, data))


@router.get(
    "/sites/{site_id}",
    response={200: SiteOut, **responses(403, 404, 422)},
    url_name="site_detail",
    operation_id="getSite",
    auth=guarded(needs_object(Site, "site_id")),
    summary="Get a site",
)
def get_site(request: HttpRequest, site_id: int = SITE_ID) -> Any:
    return target(request, Site)


@router.patch(
    "/sites/{site_id}",
    response={200: SiteOut, **responses(403, 404, 422)},
    url_name="site_detail",
    operation_id="updateSite",
    auth=guarded(needs_object(Site, "site_id", "sites.change")),
    summary="Change a site",
)
def update_site(request: HttpRequest, payload: SitePatch, site_id: int = SITE_ID) -> Any:
    """Partial update. A site cannot move to another client. Needs `sites.change`."""
    scope = scope_of(request)
    return tenancy.update_site(scope, target(request, Site), payload.changes())


@router.delete(
    "/sites/{site_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="site_detail",
    operation_id="deleteSite",
    auth=guarded(needs_object(Site, "site_id", "sites.delete")),
    summary="Delete a site",
)
def delete_site(request: HttpRequest, site_id: int = SITE_ID) -> Any:
    """Contacts at the site stay, without a site. Needs `sites.delete`."""
    scope = scope_of(request)
    tenancy.delete_site(scope, target(request, Site))
    return Status(204, None)


declare("api:site_list", "list", model="core.site", methods=("GET",))
declare(
    "api:site_create",
    "create",
    model="core.site",
    methods=("POST",),
    create_fields={"client_id": "core.client"},
)
declare("api:site_detail", "object", model="core.site", methods=("GET", "PATCH", "DELETE"))
