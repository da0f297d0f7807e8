"""One error format for the whole API: ``{"detail": "...", "errors": [{"field", "message"}]}``.

| Cause                                                 | Status |
|-------------------------------------------------------|--------|
| body is not JSON                                      | 400    |
| no, malformed, unknown, expired or revoked credential | 401    |
| permission missing, CSRF failure                      | 403    |
| unknown id, or a row outside the caller's scope       | 404    |
| method not allowed on the path                        | 405    |
| request or service validation (incl. duplicates)      | 422    |
| anything unexpected (logged, no traceback returned)   | 500    |
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError

from steward.core import audit
from steward.core.api.auth import ApiAuthError

logger = logging.getLogger("steward.api")


class FieldError(Schema):
    field: str | None = None
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


def responses(*codes: int) -> dict[int, Any]:
    """Error responses to document on an operation (every operation can answer 401)."""
    return dict.fromkeys(sorted({401, *codes}), ErrorOut)


# Service errors name model fields; the API names them as the request does.
SERVICE_FIELD_NAMES = {"client": "client_id", "site": "site_id", "granted_clients": "granted_client_ids"}

REQUEST_MESSAGES = {
    "extra_forbidden": "Unknown field.",
    "missing": "This field is required.",
}

UNAUTHENTICATED = "Authentication required: send 'Authorization: Bearer <API token>' or sign in."


def error_body(detail: str, errors: list[tuple[str | None, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail}
    if errors:
        body["errors"] = [{"field": field, "message": message} for field, message in errors]
    return body


def _summary(prefix: str, errors: list[tuple[str | None, str]]) -> str:
    parts = [f"{field}: {message}" if field else message for field, message in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"{prefix} {'; '.join(parts)}{more}".strip()


def _request_errors(exc: RequestValidationError) -> Iterator[tuple[str | None, str]]:
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        source = loc[0] if loc else ""
        rest = loc[1:]
        if source == "body" and rest and rest[0] == "payload":
            rest = rest[1:]  # every body parameter is named "payload": not the caller's business
        field = ".".join(rest) or None
        kind = error.get("type", "")
        if source == "body" and field is None and kind in {"missing", "model_attributes_type", "dict_type"}:
            message = "The request body must be a JSON object."
        else:
            message = REQUEST_MESSAGES.get(kind) or str(error.get("msg", "Invalid value."))
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        yield field, message


def _service_errors(exc: DjangoValidationError) -> Iterator[tuple[str | None, str]]:
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            field = None if name == NON_FIELD_ERRORS else SERVICE_FIELD_NAMES.get(name, name)
            for message in messages:
                yield field, message
    else:
        for message in exc.messages:
            yield None, message


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every failure into the JSON error format."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def request_invalid(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = list(_request_errors(exc))
        return respond(request, 422, error_body(_summary("Invalid request:", errors), errors))

    def service_invalid(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = list(_service_errors(exc))
        return respond(request, 422, error_body(_summary("Invalid request:", errors), errors))

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        challenge = 'Bearer realm="Steward API"'
        if isinstance(exc, ApiAuthError):
            message = exc.message
            challenge += f', error="{exc.error}"'
        else:
            message = UNAUTHENTICATED
        response = respond(request, 401, error_body(message))
        response["WWW-Authenticate"] = challenge
        return response

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        message = str(exc)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            message = "The request body is not valid JSON."
        return respond(request, exc.status_code, error_body(message))

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 403, error_body(str(exc) or "You do not have permission to do this."))

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 404, error_body("Not found, or outside your access."))

    def too_big(request: HttpRequest, exc: Any) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return respond(
            request, 413, error_body(f"The request body is too large (the limit is {limit:,} bytes).")
        )

    def server_error(request: HttpRequest, exc: Any) -> HttpResponse:
        request_id = audit.current_actor().request_id
        logger.exception(
            "Unhandled API error on %s %s (request %s)", request.method, request.path, request_id
        )
        return respond(
            request,
            500,
            error_body(
                f"Internal server error. It has been logged; quote request id {request_id} if you report it."
            ),
        )

    api.add_exception_handler(RequestValidationError, request_invalid)
    api.add_exception_handler(DjangoValidationError, service_invalid)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(ObjectDoesNotExist, not_found)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(RequestDataTooBig, too_big)
    api.add_exception_handler(Exception, server_error)
