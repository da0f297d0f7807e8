"""Building blocks shared by every API router: input types, list pagination, the principal."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from ninja import Field, Path, Schema
from pydantic import AfterValidator, ConfigDict, Strict, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from steward.core.models import ApiToken, User
from steward.core.scoping import Scope
from steward.core.services.tenancy import get_scoped

# Primary keys are 64-bit: anything larger cannot name a row, and handing it to the
# database would overflow (a 500) instead of answering "not found" or "invalid".
MAX_ID = 2**63 - 1
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_OFFSET = 2**31 - 1


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return value


_CLEAN = AfterValidator(_clean_text)
_LINE = StringConstraints(strip_whitespace=True)

# Single-line text fields (whitespace trimmed) of the models' lengths, and long text.
Str2 = Annotated[str, _LINE, StringConstraints(max_length=2), _CLEAN]
Str20 = Annotated[str, _LINE, StringConstraints(max_length=20), _CLEAN]
Str30 = Annotated[str, _LINE, StringConstraints(max_length=30), _CLEAN]
Str40 = Annotated[str, _LINE, StringConstraints(max_length=40), _CLEAN]
Str64 = Annotated[str, _LINE, StringConstraints(max_length=64), _CLEAN]
Str100 = Annotated[str, _LINE, StringConstraints(max_length=100), _CLEAN]
Str120 = Annotated[str, _LINE, StringConstraints(max_length=120), _CLEAN]
Str200 = Annotated[str, _LINE, StringConstraints(max_length=200), _CLEAN]
Str253 = Annotated[str, _LINE, StringConstraints(max_length=253), _CLEAN]
Str254 = Annotated[str, _LINE, StringConstraints(max_length=254), _CLEAN]
LongText = Annotated[str, StringConstraints(max_length=20_000), _CLEAN]
SearchText = Annotated[str, _LINE, StringConstraints(max_length=200), _CLEAN]

# Ids in JSON bodies must be JSON integers (no "5", 5.0 or true); in queries and paths
# they arrive as text and are parsed.
BodyId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
StrictBool = Annotated[bool, Strict()]

RoleName = Literal["provider_admin", "technician", "client_admin", "client_it", "end_user"]


class InputSchema(Schema):
    """Request bodies: unknown fields are an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page, 1 to {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip.")


class Page(Schema):
    count: int = Field(description="Rows matching the filters, over all pages.")
    limit: int
    offset: int


M = TypeVar("M", bound=models.Model)


def paginate(queryset: models.QuerySet[M], params: PageParams) -> dict[str, Any]:
    return {
        "count": queryset.count(),
        "limit": params.limit,
        "offset": params.offset,
        "results": list(queryset[params.offset : params.offset + params.limit]),
    }


def order(queryset: models.QuerySet[M], ordering: str) -> models.QuerySet[M]:
    """Apply a whitelisted ordering (validated by the query schema) with a stable tie-break."""
    tie = "-pk" if ordering.startswith("-") else "pk"
    return queryset.order_by(ordering, tie)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, the scope they act in, and the token if they used one."""

    user: User
    scope: Scope
    token: ApiToken | None = None

    @property
    def method(self) -> str:
        return "token" if self.token is not None else "session"

    @property
    def role(self) -> str:
        return self.token.role if self.token is not None else self.user.role


# A check an operation needs passed before its input is even validated: the row lies in the
# caller's scope (else 404), the caller holds the permission (else 403). It raises Http404
# or PermissionDenied, which the error handlers turn into JSON. See ``auth.guarded``.
Check = Callable[[HttpRequest, Principal], None]


def principal(request: HttpRequest) -> Principal:
    return cast(Principal, request.auth)  # type: ignore[attr-defined]


def scope_of(request: HttpRequest) -> Scope:
    return principal(request).scope


class PatchSchema(InputSchema):
    """Partial updates: send only the fields to change. ``null`` is refused except where a
    field can really be empty (``nullable_fields``)."""

    nullable_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulls(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable_fields:
            raise PydanticCustomError("null_not_allowed", "Must not be null; leave the field out to keep it.")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


def path_id(description: str) -> Any:
    return Path(..., ge=1, le=MAX_ID, description=description)


def lookup(scope: Scope, model: type[M], pk: int) -> M:
    """The row if it lies inside the scope (else 404, whether it exists or not), then the
    view permission (else 403), fetched through the tenancy service."""
    manager: Any = model.objects  # type: ignore[attr-defined]
    if not manager.for_scope(scope).filter(pk=pk).exists():
        raise Http404
    return get_scoped(scope, model, pk)


_ID = re.compile(r"[0-9]{1,19}")


def parse_id(raw: object) -> int | None:
    """A path id as a positive 64-bit integer, or None."""
    if not isinstance(raw, str) or not _ID.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def needs(permission: str, *, all_clients: bool = False, refusal: str = "") -> Check:
    """The caller must hold ``permission`` (and, if asked, reach every client)."""

    def check(request: HttpRequest, who: Principal) -> None:
        who.scope.require(permission)
        if all_clients and not who.scope.all_clients:
            raise PermissionDenied(refusal or "Only staff with access to all clients can do this.")

    return check


def needs_object(model: type[models.Model], kwarg: str, permission: str | None = None) -> Check:
    """The row named by the path exists in the caller's scope (404), the caller may view
    it (403) and holds ``permission`` for this method (403). The row is kept for the view."""

    def check(request: HttpRequest, who: Principal) -> None:
        match = request.resolver_match
        pk = parse_id(match.kwargs.get(kwarg) if match else None)
        if pk is None:
            raise Http404
        found = lookup(who.scope, model, pk)
        if permission:
            who.scope.require(permission)
        request.api_object = found  # type: ignore[attr-defined]

    return check


def target(request: HttpRequest, model: type[M]) -> M:
    """The row ``needs_object`` found for this request."""
    found = getattr(request, "api_object", None)
    if not isinstance(found, model):
        raise Http404
    return found
