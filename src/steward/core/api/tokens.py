"""/tokens: your own personal API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import Strict

from steward.core.access import declare
from steward.core.api.auth import guarded
from steward.core.api.common import (
    BodyId,
    InputSchema,
    Page,
    PageParams,
    Principal,
    RoleName,
    Str100,
    needs,
    paginate,
    parse_id,
    path_id,
    principal,
    target,
)
from steward.core.api.errors import responses
from steward.core.models import ApiToken, Client
from steward.core.roles import can_assign
from steward.core.services.security import MAX_TOKEN_DAYS, TokenError, issue_token, revoke_token

router = Router(tags=["API tokens"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="Public part of the token, shown in lists and logs.")
    role: str = Field(description="The token acts with this role's permissions (never more than yours).")
    limit_clients: bool
    client_ids: list[int] = Field(description="When limit_clients: the only clients the token reaches.")
    status: str = Field(description="active, expired or revoked.")
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None
    created_at: datetime

    @staticmethod
    def resolve_client_ids(obj: ApiToken) -> list[int]:
        return sorted(client.pk for client in obj.clients.all()) if obj.limit_clients else []


class TokenCreated(TokenOut):
    secret: str = Field(description="The full token. Shown only in this response: store it now.")


class TokenPage(Page):
    results: list[TokenOut]


class TokenCreate(InputSchema):
    name: Str100 = Field(min_length=1, description="What the token is for, e.g. 'PSA sync'.")
    role: RoleName | None = Field(None, description="Defaults to your role (or the calling token's).")
    client_ids: Annotated[list[BodyId], Field(max_length=500)] | None = Field(
        None, description="Limit the token to these clients (inside your access)."
    )
    days: Annotated[int, Strict(), Field(ge=1, le=MAX_TOKEN_DAYS)] = Field(
        90, description=f"Days until it expires, 1 to {MAX_TOKEN_DAYS}."
    )


@dataclass(frozen=True)
class _NewToken:
    """A just-issued token with its secret, for the one response that shows it."""

    token: ApiToken
    secret: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.token, name)


TOKEN_ID = path_id("The token's id.")


def _own_token(request: HttpRequest, who: Principal) -> None:
    """Check: the path names one of the caller's own tokens (anyone else's: 404)."""
    match = request.resolver_match
    pk = parse_id(match.kwargs.get("token_id") if match else None)
    token = who.user.api_tokens.prefetch_related("clients").filter(pk=pk).first() if pk else None
    if token is None:
        raise Http404
    request.api_object = token  # type: ignore[attr-defined]


@router.get(
    "/tokens",
    response={200: TokenPage, **responses(422)},
    url_name="token_list",
    operation_id="listTokens",
    summary="List your API tokens",
)
def list_tokens(request: HttpRequest, page: Query[PageParams]) -> Any:
    """Your own tokens, newest first (including expired and revoked ones)."""
    tokens = principal(request).user.api_tokens.prefetch_related("clients").order_by("-created_at", "-pk")
    return paginate(tokens, page)


@router.post(
    "/tokens",
    response={201: TokenCreated, **responses(403, 422)},
    url_name="token_create",
    auth=guarded(needs("tokens.use")),
    operation_id="createToken",
    summary="Create an API token",
)
def create_token(request: HttpRequest, payload: TokenCreate) -> Any:
    """A new token is never wider than you, nor (when created with a token) than the
    calling token: same or lesser role, same or fewer clients. The secret is returned once."""
    who = principal(request)
    scope = who.scope
    scope.require("tokens.use")
    role = payload.role or who.role
    if role != who.role and not can_assign(who.role, role):
        raise ValidationError({"role": f"You cannot create a token with the role '{role}'."})
    client_ids = sorted(set(payload.client_ids or []))
    if client_ids:
        reachable = set(
            Client.objects.for_scope(scope).filter(pk__in=client_ids).values_list("pk", flat=True)
        )
        if reachable != set(client_ids):
            raise ValidationError({"client_ids": "Some of those clients are outside your access."})
    elif who.token is not None and who.token.limit_clients:
        # A client-limited token can only mint tokens limited the same way (or narrower).
        client_ids = sorted(scope.client_ids or [])
        if not client_ids:
            raise PermissionDenied("This token reaches no clients, so it cannot create tokens.")
    try:
        issued = issue_token(
            who.user, name=payload.name, role=role, client_ids=client_ids or None, days=payload.days
        )
    except TokenError as exc:
        raise ValidationError(str(exc)) from exc
    token = who.user.api_tokens.prefetch_related("clients").get(pk=issued.token.pk)
    return Status(201, _NewToken(token, issued.secret))


@router.get(
    "/tokens/{token_id}",
    response={200: TokenOut, **responses(404, 422)},
    url_name="token_detail",
    operation_id="getToken",
    auth=guarded(_own_token),
    summary="Get one of your API tokens",
)
def get_token(request: HttpRequest, token_id: int = TOKEN_ID) -> Any:
    return target(request, ApiToken)


@router.delete(
    "/tokens/{token_id}",
    response={204: None, **responses(404, 422)},
    url_name="token_detail",
    operation_id="revokeToken",
    auth=guarded(_own_token),
    summary="Revoke one of your API tokens",
)
def delete_token(request: HttpRequest, token_id: int = TOKEN_ID) -> Any:
    """Revokes at once (revoking the token you are calling with is allowed). Others' tokens: 404."""
    revoke_token(target(request, ApiToken))
    return Status(204, None)


declare("api:token_list", "self", methods=("GET",), note="Only the caller's own tokens.")
declare(
    "api:token_create",
    "self",
    methods=("POST",),
    note="Creates a token for the caller, never wider than them.",
)
declare(
    "api:token_detail",
    "object",
    model="core.apitoken",
    methods=("GET", "DELETE"),
    note="Only the caller's own tokens; anyone else's answers 404.",
)
