"""Who may reach each URL: the declarations the cross-tenant access harness checks.

Every URL pattern in the project (web pages and API routes) must be declared here or in a
module's own ``access.py`` through these functions; ``tests/access/`` walks the URL
resolver, fails on any undeclared route, and for each declared route checks every role of
client A against client B's objects. A later module gets that check by declaring its
routes; it never writes a cross-tenant test by hand.

Kinds:
- ``public``: reachable without signing in (login, health, static).
- ``self``: acts only on the signed-in user's own things (profile, own tokens, MFA).
- ``list``: shows many rows; client B's rows must never appear, whatever the filters.
- ``object``: addresses one row by id; client B's row must answer 403/404 and not leak.
- ``create``: makes a row; it must be impossible to make one for client B.
- ``provider``: provider-staff only; client roles must be refused outright.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["public", "self", "list", "object", "create", "provider"]


@dataclass(frozen=True)
class RouteAccess:
    route: str  # URL name ("client_detail") or, for API routes, "api:" + path ("api:/clients/{client_id}")
    kind: Kind
    model: str = ""  # "core.site": the model an object route's id refers to
    methods: tuple[str, ...] = ("GET",)
    create_fields: dict[str, str] = field(default_factory=dict)  # for create routes: form field → model name
    note: str = ""


REGISTRY: dict[str, RouteAccess] = {}


def declare(
    route: str,
    kind: Kind,
    *,
    model: str = "",
    methods: tuple[str, ...] = ("GET",),
    create_fields: dict[str, str] | None = None,
    note: str = "",
) -> None:
    if route in REGISTRY:
        raise ValueError(f"route {route!r} declared twice")
    if kind == "object" and not model:
        raise ValueError(f"object route {route!r} must name the model its id refers to")
    REGISTRY[route] = RouteAccess(route, kind, model, methods, create_fields or {}, note)


def public(*routes: str, note: str = "") -> None:
    for route in routes:
        declare(route, "public", note=note)
