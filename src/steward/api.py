"""The REST API at /api/v1/: one NinjaAPI, each domain adds its router in ``register_routers``.

Every operation authenticates with a personal API token (``Authorization: Bearer stw_…``)
or, for the same-origin browser UI, the signed-in session (with CSRF on unsafe methods).
Errors always come back as JSON (see ``steward.core.api.errors``), including 404s for
unknown paths and 405s for methods a path does not support.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI

from steward.core import access
from steward.core.api import auth, errors

DESCRIPTION = """\
The REST API of Steward.

**Authentication.** Send a personal API token: `Authorization: Bearer stw_…` (create one
under *Profile → API tokens* or with `POST /tokens`). A token acts with its own role and
client list, never more than its owner. The browser UI may instead use its session
cookie, with the `X-CSRFToken` header on unsafe methods.

**Errors** are JSON: `{"detail": "…", "errors": [{"field": "…", "message": "…"}]}`.
400 the body is not JSON · 401 no or bad credential · 403 permission missing ·
404 unknown id or outside your access · 405 method not allowed · 422 invalid input.

**Lists** take `limit` (1 to 500, default 50) and `offset`, and answer
`{"count", "limit", "offset", "results"}`.
"""


class StewardAPI(NinjaAPI):
    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
                if pattern.name == "openapi-view":
                    # The interactive docs need a signed-in session; the OpenAPI document
                    # itself stays public (it describes the API and holds no data).
                    pattern.callback = login_required(pattern.callback)
        return urls


def _json_method_not_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Ninja answers a wrong method with a plain-text 405; answer in the API's error format."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            body = errors.error_body(f"Method {request.method} is not allowed here. Allowed: {allowed}.")
            response = HttpResponse(
                json.dumps(body), status=405, content_type="application/json; charset=utf-8"
            )
            response["Allow"] = allowed
        return response

    return wrapper


api = StewardAPI(
    title="Steward API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=auth.AUTH,
)
errors.install(api)


def register_routers(target: NinjaAPI) -> None:
    """Each domain mounts its routers here (its module declares its routes' access)."""
    from steward.core.api import register as register_core

    register_core(target)
    target.add_router("", "steward.devices.api.router")
    target.add_router("", "steward.servicedesk.api.router")
    target.add_router("", "steward.servicedesk.kb_api.router")


register_routers(api)

access.public("api:openapi-json", note="The OpenAPI document describes the API; it holds no data.")
access.declare("api:openapi-view", "self", note="Interactive API docs; needs a signed-in session.")
access.public("api:api-root", note="Ninja's root marker: always answers 404.")
