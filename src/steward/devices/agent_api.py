"""The agent-facing API at /api/agent/v1/: enroll, check-in, inventory, ping.

Agents authenticate with their device credential (``Authorization: Device <credential>``),
not as users; enrollment authenticates with the enrollment token in its body. Each body is
checked in this order, cheapest first, and never answers 500 for bad input:

415 the content type is not JSON · 413 the body is over the protocol's limit (by
Content-Length, then by actual length) · 401 missing, unknown or revoked credential (or an
invalid, expired, revoked or used-up enrollment token) · 403 quarantined device, or a body
naming another device · 400 the body is not JSON · 422 the JSON does not match the message
(with field errors) · 503 the heartbeat could not be committed (retry later).

Bodies are parsed with the protocol's pydantic models directly (``model_validate_json``),
not through Ninja's parameter machinery, so the size and content-type checks run before any
parsing and the check-in path stays lean (see docs/ingest.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from pydantic import BaseModel, ValidationError

from steward.core import audit
from steward.core.access import public
from steward.devices.services import AgentError
from steward_protocol.messages import (
    MAX_ENROLL_BYTES,
    MAX_HEARTBEAT_BYTES,
    MAX_INVENTORY_BYTES,
    CheckInResponse,
    EnrollRequest,
    EnrollResponse,
    ErrorResponse,
    Heartbeat,
    Inventory,
    InventoryResponse,
)

logger = logging.getLogger("steward.devices.agent_api")

agent_api = NinjaAPI(
    title="Steward agent API",
    version="agent-1",
    urls_namespace="agent-api",
    docs_url=None,
    openapi_url="/openapi.json",
)

M = TypeVar("M", bound=BaseModel)
JSON = "application/json"
ERRORS: dict[int | str, Any] = dict.fromkeys((400, 401, 403, 413, 415, 422), ErrorResponse)


def _json(status: int, body: bytes | str) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=JSON)


def error_response(error: AgentError) -> HttpResponse:
    body: dict[str, Any] = {"detail": error.detail}
    if error.errors:
        body["errors"] = [{"field": f, "message": msg} for f, msg in error.errors]
    response = _json(error.status, json.dumps(body))
    if error.status == 401:
        response["WWW-Authenticate"] = 'Device realm="Steward agent API"'
    if error.status == 503:
        response["Retry-After"] = "5"
    return response


def check_envelope(request: HttpRequest, limit: int) -> None:
    """Content type and declared size, before the body is read (415 / 413 / 400)."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if content_type != JSON:
        raise AgentError(415, "send the body as application/json")
    declared = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(declared)
    except ValueError:
        raise AgentError(400, "invalid Content-Length") from None
    if length > limit:
        raise AgentError(413, f"the body is larger than {limit} bytes")


def read_body(request: HttpRequest, limit: int) -> bytes:
    body = request.body
    if len(body) > limit:
        raise AgentError(413, f"the body is larger than {limit} bytes")
    return body


def _field_errors(exc: ValidationError) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error.get("loc", ())) or None
        kind = error.get("type", "")
        if kind == "extra_forbidden":
            message = "Unknown field."
        elif kind == "missing":
            message = "This field is required."
        elif field is None and kind in {"model_type", "model_attributes_type", "dict_type"}:
            message = "The request body must be a JSON object."
        else:
            message = str(error.get("msg", "Invalid value."))
        out.append((field, message))
    return out


def parse(model: type[M], body: bytes) -> M:
    """The message in ``body``: 400 if it is not JSON at all, 422 if it does not fit."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        if any(e.get("type") == "json_invalid" for e in exc.errors(include_url=False, include_input=False)):
            raise AgentError(400, "the body is not valid JSON") from None
        errors = _field_errors(exc)
        parts = [f"{f}: {msg}" if f else msg for f, msg in errors[:5]]
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise AgentError(422, f"Invalid {model.__name__}: {'; '.join(parts)}{more}", errors) from None


def _origin() -> audit.Actor:
    return audit.current_actor()


def agent_endpoint(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Turn :class:`AgentError` into the JSON error response; log anything unexpected."""

    def wrapper(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except AgentError as error:
            return error_response(error)
        except DatabaseError:
            # The database is unavailable or locked past its timeout: the agent keeps its
            # message and retries, as for a failed heartbeat flush.
            logger.exception("agent API database error on %s %s", request.method, request.path)
            return error_response(AgentError(503, "the server cannot store this now; retry later"))
        except Exception:
            logger.exception("agent API error on %s %s", request.method, request.path)
            return _json(500, json.dumps({"detail": "internal server error; it has been logged"}))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    schema = {"title": model.__name__, "description": f"steward_protocol.messages.{model.__name__}"}
    return {"requestBody": {"required": True, "content": {JSON: {"schema": schema}}}}


@agent_api.get("/ping", url_name="agent_ping", include_in_schema=False)
def ping(request: HttpRequest) -> HttpResponse:
    """Liveness of the web process only: no database, no cache (the benchmark's HTTP ceiling)."""
    return HttpResponse(b"ok", content_type="text/plain; charset=utf-8")


@agent_api.post(
    "/enroll",
    url_name="agent_enroll",
    response={201: EnrollResponse, **ERRORS},
    openapi_extra=_body_doc(EnrollRequest),
    summary="Enroll a device with an enrollment token",
)
@agent_endpoint
def enroll(request: HttpRequest) -> HttpResponse:
    from steward.devices.services.enrollment import enroll as do_enroll

    check_envelope(request, MAX_ENROLL_BYTES)
    message = parse(EnrollRequest, read_body(request, MAX_ENROLL_BYTES))
    enrolled = do_enroll(message, origin=_origin())
    return _json(201, enrolled.response().model_dump_json())


@agent_api.post(
    "/checkin",
    url_name="agent_checkin",
    response={200: CheckInResponse, 503: ErrorResponse, **ERRORS},
    openapi_extra=_body_doc(Heartbeat),
    summary="Send a heartbeat",
)
@agent_endpoint
def checkin(request: HttpRequest) -> HttpResponse:
    from steward.devices.services import credentials, ingest

    check_envelope(request, MAX_HEARTBEAT_BYTES)
    auth = credentials.authenticate(request.META.get("HTTP_AUTHORIZATION", ""))
    heartbeat = parse(Heartbeat, read_body(request, MAX_HEARTBEAT_BYTES))
    response = ingest.check_in(auth, heartbeat, origin=_origin())
    return _json(200, response.model_dump_json())


@agent_api.post(
    "/inventory",
    url_name="agent_inventory",
    response={200: InventoryResponse, **ERRORS},
    openapi_extra=_body_doc(Inventory),
    summary="Send the full inventory",
)
@agent_endpoint
def inventory(request: HttpRequest) -> HttpResponse:
    from steward.devices.services import credentials
    from steward.devices.services.inventory import ingest_inventory

    check_envelope(request, MAX_INVENTORY_BYTES)
    auth = credentials.authenticate(request.META.get("HTTP_AUTHORIZATION", ""), fresh=True)
    message = parse(Inventory, read_body(request, MAX_INVENTORY_BYTES))
    return _json(200, ingest_inventory(auth, message, origin=_origin()).model_dump_json())


public("agent-api:openapi-json", "agent-api:api-root", note="the agent protocol's schema")
public(
    "agent-api:agent_enroll",
    "agent-api:agent_checkin",
    "agent-api:agent_inventory",
    "agent-api:agent_ping",
    note="agent endpoints: authenticated by device credential (or enrollment token), not by a user",
)
urlpatterns: list[Any] = []
