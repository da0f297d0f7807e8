"""The cross-tenant access harness.

Walks every URL pattern of the project (web pages and API routes). A route that nobody
declared in ``steward.core.access`` fails. For each declared route, every role of client A
(client admin, client IT, end user, and a technician granted only client A) is pointed at
client B's objects, by session and — for API routes — by personal API token, and must get
no access: 403/404 on B's objects, nothing of B's in any list or page, no row of B created,
changed or deleted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from steward.core.access import REGISTRY, RouteAccess
from steward.core.audit_model import AuditedModel
from steward.core.scoping import Scope, TenantOwned
from steward.core.services.security import issue_token
from tests.access.factories import OBJECT_FACTORIES, markers_of_b

A_SIDE_ACTORS = ["client_admin_a", "client_it_a", "end_user_a", "technician_a"]
NO_ACCESS = {403, 404}
INTRUDER = "Harness Intruder"
FILLER = {
    "name": INTRUDER,
    "full_name": INTRUDER,
    "email": "intruder@harness.example",
    "short_code": "INTRUDER",
    "status": "active",
    "time_zone": "UTC",
    "role": "end_user",
    "notes": INTRUDER,
}


@dataclass(frozen=True)
class Route:
    key: str
    pattern: URLPattern
    kwargs: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.key.startswith("api:")


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or f"<unnamed {entry.pattern}>"
            key = f"{namespace}:{name}" if namespace else name
            converters = getattr(entry.pattern, "converters", {}) or {}
            names = tuple(converters) or tuple(entry.pattern.regex.groupindex)
            yield Route(key, entry, names)


def all_routes() -> list[Route]:
    """Every named route once (Django Ninja repeats a path's pattern for each operation)."""
    unique: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        unique.setdefault(route.key, route)
    return list(unique.values())


def test_every_route_is_declared() -> None:
    undeclared = sorted(route.key for route in all_routes() if route.key not in REGISTRY)
    assert not undeclared, (
        "These routes are not declared in steward.core.access (declare them next to their path "
        f"so the cross-tenant harness checks them): {undeclared}"
    )


def test_every_declaration_names_a_route() -> None:
    existing = {route.key for route in all_routes()}
    stale = sorted(key for key in REGISTRY if key not in existing)
    assert not stale, f"Declared routes that no longer exist: {stale}"


def test_every_object_model_has_a_factory() -> None:
    missing = sorted({a.model for a in REGISTRY.values() if a.kind == "object"} - set(OBJECT_FACTORIES))
    assert not missing, f"Add client-B factories to tests/access/factories.py for: {missing}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "route" in metafunc.fixturenames:
        routes = [r for r in all_routes() if r.key in REGISTRY and REGISTRY[r.key].kind != "public"]
        metafunc.parametrize("route", routes, ids=[r.key for r in routes])


def _b_snapshot(world: Any) -> dict[str, Any]:
    """Row counts and values of everything client B owns."""
    scope_b = Scope.system(world.provider.pk).narrowed(client_ids=[world.client_b.pk])
    snapshot: dict[str, Any] = {}
    for model in apps.get_models():
        if issubclass(model, TenantOwned):
            rows = model.objects.for_scope(scope_b).order_by("pk")
            if issubclass(model, AuditedModel):
                snapshot[model._meta.label_lower] = [(row.pk, row.audit_values()) for row in rows]
            else:
                snapshot[model._meta.label_lower] = list(rows.values_list("pk", flat=True))
    return snapshot


class Actor:
    def __init__(self, user: Any, route: Route) -> None:
        self.http = HttpClient()
        self.http.force_login(user, backend="steward.core.auth.EmailBackend")
        self.headers: dict[str, str] = {}
        if route.is_api and Scope.for_user(user).can("tokens.use"):
            secret = issue_token(user, name=f"harness {user.email}", days=1).secret
            self.http = HttpClient()  # token only: no session to fall back on
            self.headers = {"Authorization": f"Bearer {secret}"}

    def send(self, method: str, url: str, body: dict[str, Any] | None, *, api: bool) -> Any:
        if api:
            payload = json.dumps(body or {})
            return self.http.generic(
                method, url, payload, content_type="application/json", headers=self.headers
            )
        if method == "GET":
            return self.http.get(url, body or {}, headers=self.headers)
        return self.http.generic(
            method,
            url,
            _form_encode(body or {}),
            content_type="application/x-www-form-urlencoded",
            headers=self.headers,
        )


def _form_encode(data: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({key: str(value) for key, value in data.items()})


def _body_text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _leaks(response: Any, markers: list[str]) -> list[str]:
    text = _body_text(response)
    location = response.headers.get("Location", "")
    return [marker for marker in markers if marker and (marker in text or marker in location)]


@pytest.mark.django_db
@pytest.mark.parametrize("actor_key", A_SIDE_ACTORS)
def test_no_cross_tenant_access(world: Any, route: Route, actor_key: str) -> None:
    access: RouteAccess = REGISTRY[route.key]
    markers = markers_of_b(world)
    target = OBJECT_FACTORIES[access.model](world) if access.kind == "object" else None
    before = _b_snapshot(world)
    actor = Actor(world.users[actor_key], route)
    problems: list[str] = []

    if route.kwargs and target is None:
        pytest.skip(f"{route.key}: non-object route with URL arguments is checked by its own tests")
    url = (
        reverse(route.key, kwargs=dict.fromkeys(route.kwargs, target.pk))
        if route.kwargs
        else reverse(route.key)
    )

    for method in access.methods:
        requests: list[tuple[str, dict[str, Any] | None]] = []
        if method == "GET":
            requests.append((url, None))
            if access.kind in {"list", "self", "provider"}:
                b = world.client_b.pk
                # Search for a word of B's name, not a whole marker: pages echo the query back.
                word = world.client_b.name.split()[0]
                for query in ({"client": b}, {"client_id": b}, {"q": word}, {"site": world.site_b.pk}):
                    requests.append((url, query))
        else:
            body = dict(FILLER)
            for field_name, model_label in access.create_fields.items():
                body[field_name] = OBJECT_FACTORIES[model_label](world).pk
            requests.append((url, body))
        for request_url, data in requests:
            if method == "GET" and data:
                response = actor.send("GET", request_url, data, api=route.is_api)
            else:
                response = actor.send(method, request_url, data, api=route.is_api)
            status = response.status_code
            where = f"{method} {request_url} {data or ''} as {actor_key}"
            if status >= 500:
                problems.append(f"{where}: server error {status}")
            if access.kind == "object" and status not in NO_ACCESS:
                problems.append(f"{where}: expected 403/404 for client B's object, got {status}")
            is_client_role = world.users[actor_key].is_client_user
            if access.kind == "provider" and is_client_role and status not in NO_ACCESS | {302}:
                problems.append(f"{where}: provider-only route answered {status} to a client role")
            leaked = _leaks(response, markers)
            if leaked:
                problems.append(f"{where}: response shows client B's data {leaked}")

    after = _b_snapshot(world)
    if before != after:
        changed = sorted(key for key in before if before[key] != after.get(key))
        problems.append(f"client B's data changed after {actor_key} used {route.key}: {changed}")
    assert not problems, "\n".join(problems)


def test_harness_catches_a_leaky_view(world: Any, settings: Any) -> None:
    """The harness's own check: a view that ignores the scope is reported."""
    from django.http import HttpResponse
    from django.urls import path

    from steward.core.models import Site

    def leaky(request: Any) -> HttpResponse:
        return HttpResponse(", ".join(Site.unscoped.values_list("name", flat=True)))

    settings.ROOT_URLCONF = type("LeakyUrls", (), {"urlpatterns": [path("leaky/", leaky, name="leaky")]})
    actor = Actor(world.users["client_admin_a"], Route("leaky", None, ()))  # type: ignore[arg-type]
    response = actor.send("GET", "/leaky/", None, api=False)
    assert _leaks(response, markers_of_b(world)) == [world.site_b.name]
