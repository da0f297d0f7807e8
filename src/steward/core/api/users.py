"""/users: sign-in accounts, their roles and (for technicians) their client grants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from steward.core.access import declare
from steward.core.api.auth import guarded
from steward.core.api.common import (
    BodyId,
    InputSchema,
    Page,
    PageParams,
    PatchSchema,
    QueryId,
    RoleName,
    SearchText,
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
from steward.core.models import User
from steward.core.roles import Role
from steward.core.services import tenancy

router = Router(tags=["Users"])

UserOrdering = Literal["full_name", "-full_name", "email", "-email", "created_at", "-created_at"]
ClientIdList = Annotated[list[BodyId], Field(max_length=1000)]


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    client_id: int | None = Field(description="The user's client; null for provider staff.")
    is_active: bool
    mfa_required: bool
    mfa_enabled: bool
    all_clients: bool = Field(description="Technicians: access to every client.")
    granted_client_ids: list[int] = Field(description="Technicians without all_clients: the clients granted.")
    last_login: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_mfa_enabled(obj: User) -> bool:
        return obj.has_mfa

    @staticmethod
    def resolve_granted_client_ids(obj: User) -> list[int]:
        if obj.role != Role.TECHNICIAN:
            return []
        return sorted(client.pk for client in obj.granted_clients.all())


class UserPage(Page):
    results: list[UserOut]


class UserCreate(InputSchema):
    email: Str254 = Field(description="Sign-in address; unique.")
    full_name: Str200
    role: RoleName
    client_id: BodyId | None = Field(
        None, description="Required for client roles; ignored for provider staff."
    )
    is_active: StrictBool = True
    mfa_required: StrictBool = False
    all_clients: StrictBool = Field(False, description="Technicians only.")
    granted_client_ids: ClientIdList | None = Field(
        None, description="Technicians only (provider admins set it)."
    )


class UserPatch(PatchSchema):
    full_name: Str200 | None = None
    role: RoleName | None = None
    is_active: StrictBool | None = None
    mfa_required: StrictBool | None = None
    all_clients: StrictBool | None = None
    granted_client_ids: ClientIdList | None = Field(
        None, description="Replaces a technician's client grants."
    )


class UserFilters(PageParams):
    client_id: QueryId | None = None
    role: RoleName | None = None
    q: SearchText | None = Field(None, description="Matches name or e-mail (case-insensitive).")
    is_active: bool | None = None
    ordering: UserOrdering = "full_name"


USER_ID = path_id("The user's id.")


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], list[int] | None]:
    grants = data.pop("granted_client_ids", None)
    return data, grants


@router.get(
    "/users",
    response={200: UserPage, **responses(403, 422)},
    url_name="user_list",
    auth=guarded(needs("users.view")),
    operation_id="listUsers",
    summary="List users",
)
def list_users(request: HttpRequest, filters: Query[UserFilters]) -> Any:
    scope = scope_of(request)
    scope.require("users.view")
    users = User.objects.for_scope(scope).select_related("mfa_device").prefetch_related("granted_clients")
    if filters.client_id is not None:
        users = users.filter(client_id=filters.client_id)
    if filters.role:
        users = users.filter(role=filters.role)
    if filters.q:
        users = users.filter(Q(full_name__icontains=filters.q) | Q(email__icontains=filters.q))
    if filters.is_active is not None:
        users = users.filter(is_active=filters.is_active)
    return paginate(order(users, filters.ordering), filters)


@router.post(
    "/users",
    response={201: UserOut, **responses(403, 422)},
    url_name="user_create",
    auth=guarded(needs("users.manage")),
    operation_id="createUser",
    summary="Create a user",
)
def create_user(request: HttpRequest, payload: UserCreate) -> Any:
    """Needs `users.manage`; you can only give roles you may assign. The account has no
    password: the person sets one with "Forgot password" on the sign-in page."""
    data, grants = _split(payload.model_dump(exclude_unset=True))
    client_id = data.pop("client_id", None)
    user = tenancy.create_user(scope_of(request), client_id, data, granted_client_ids=grants)
    return Status(201, user)


@router.get(
    "/users/{user_id}",
    response={200: UserOut, **responses(403, 404, 422)},
    url_name="user_detail",
    operation_id="getUser",
    auth=guarded(needs_object(User, "user_id")),
    summary="Get a user",
)
def get_user(request: HttpRequest, user_id: int = USER_ID) -> Any:
    return target(request, User)


@router.patch(
    "/users/{user_id}",
    response={200: UserOut, **responses(403, 404, 422)},
    url_name="user_detail",
    operation_id="updateUser",
    auth=guarded(needs_object(User, "user_id", "users.manage")),
    summary="Change a user",
)
def update_user(request: HttpRequest, payload: UserPatch, user_id: int = USER_ID) -> Any:
    """Partial update of name, role, active flag, MFA requirement and technician grants.
    Needs `users.manage`."""
    scope = scope_of(request)
    user = target(request, User)
    data, grants = _split(payload.changes())
    return tenancy.update_user(scope, user, data, granted_client_ids=grants)


declare("api:user_list", "list", model="core.user", methods=("GET",))
declare(
    "api:user_create",
    "create",
    model="core.user",
    methods=("POST",),
    create_fields={"client_id": "core.client"},
)
declare("api:user_detail", "object", model="core.user", methods=("GET", "PATCH"))
