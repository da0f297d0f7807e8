"""/tickets and the rest of the service desk in the REST API.

Every ticket route first finds the ticket among those the caller may see (``get_ticket``:
404 for unknown ids and other clients' tickets alike), then checks the role (403), and only
then reads the input (422). Writes go through ``steward.servicedesk.services``.

Opening a ticket, replying and attaching take JSON, or ``multipart/form-data`` with the
same JSON document in a part named ``payload`` and the files in parts named ``files``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestValidationError
from pydantic import ValidationError as PydanticValidationError

from steward.core.api.common import (
    Check,
    Principal,
    parse_id,
    path_id,
    principal,
    target,
)
from steward.core.scoping import Scope
from steward.servicedesk.models import (
    Ticket,
)
from steward.servicedesk.services import conversation, shortcuts, tickets
from steward.servicedesk.services.conversation import Upload

router = Router(tags=["Tickets"])

REFERENCE = re.compile(r"(?:#|[tT]-?)([0-9]{1,12})")
TICKET_ID = path_id("The ticket's number (T-42 is 42).")
S = TypeVar("S", bound=Schema)

# Service errors name model fields; the API names them as the request does.
FIELD_NAMES = {
    "client": "client_id",
    "site": "site_id",
    "queue": "queue_id",
    "team": "team_id",
    "assignee": "assignee_id",
    "sla_policy": "sla_policy_id",
    "devices": "device_ids",
    "watchers": "user_ids",
    "work_type": "work_type_id",
    "attachments": "files",
    "replies": "reply_ids",
    "target": "target_id",
    "parent": "parent_id",
    "entry": "entry_id",
    "timer": "ticket_id",
}


@contextmanager
def service_errors(**names: str) -> Iterator[None]:
    """Rename the fields of a service's ValidationError to the request's field names."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {names.get(key, FIELD_NAMES.get(key, key)): value for key, value in exc.error_dict.items()}
        raise ValidationError(renamed) from exc


# ---- Checks (run inside authentication, before the input is read) -------------------------


def _refuse_oversized(request: HttpRequest) -> None:
    """A body over the limits is refused up front (413), before anything reads it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if request.content_type == "multipart/form-data":
        limit = conversation.max_attachment_bytes() * conversation.max_attachments_per_reply()
        limit += settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    else:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    if limit and length > limit:
        raise HttpError(413, f"The request body is too large: at most {limit:,} bytes.")


def ticket_check(*, staff: bool = False, permission: str | None = None) -> Check:
    """The ticket named by the path is one the caller may see (else 404, whether it exists or
    not); with ``staff``, the caller is on the support team (403); then ``permission`` (403)."""

    def check(request: HttpRequest, who: Principal) -> None:
        match = request.resolver_match
        pk = parse_id(match.kwargs.get("ticket_id") if match else None)
        if pk is None:
            raise Http404
        ticket = tickets.get_ticket(who.scope, pk)
        if staff:
            tickets.require_staff(who.scope)
        if permission:
            who.scope.require(permission)
        _refuse_oversized(request)
        request.api_object = ticket  # type: ignore[attr-defined]

    return check


def staff_check(permission: str | None = None) -> Check:
    def check(request: HttpRequest, who: Principal) -> None:
        tickets.require_staff(who.scope)
        if permission:
            who.scope.require(permission)
        _refuse_oversized(request)

    return check


def viewer_check(permission: str) -> Check:
    def check(request: HttpRequest, who: Principal) -> None:
        who.scope.require(permission)
        _refuse_oversized(request)

    return check


def _canned_check(request: HttpRequest, who: Principal) -> None:
    tickets.require_staff(who.scope)
    match = request.resolver_match
    pk = parse_id(match.kwargs.get("canned_id") if match else None)
    found = shortcuts.canned_responses(who.scope).filter(pk=pk).first() if pk else None
    if found is None:
        raise Http404
    request.api_object = found  # type: ignore[attr-defined]


def _ticket(request: HttpRequest) -> Ticket:
    return target(request, Ticket)


def _referenced_ticket(scope: Scope, pk: int, field: str) -> Ticket:
    """A ticket named in a body or query: unknown or out of reach is a 422 on that field."""
    try:
        return tickets.get_ticket(scope, pk)
    except Http404:
        raise ValidationError({field: "No such ticket, or outside your access."}) from None


# ---- Bodies: JSON, or multipart with a JSON "payload" part and "files" parts --------------

_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def _invalid(errors: list[dict[str, Any]]) -> RequestValidationError:
    return RequestValidationError(
        [{**error, "loc": ("body", "payload", *error.get("loc", ()))} for error in errors]
    )


def _not_an_object() -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("body", "payload"), "type": "dict_type", "msg": "Not an object."}]
    )


def _uploads(files: list[Any]) -> list[Upload]:
    """Checked before reading: count, size (from the upload's length) and file type."""
    if len(files) > conversation.max_attachments_per_reply():
        raise ValidationError({"files": f"At most {conversation.max_attachments_per_reply()} files at once."})
    limit = conversation.max_attachment_bytes()
    uploads = []
    for file in files:
        name = file.name or "attachment"
        size = file.size or 0
        if size > limit:
            shown = conversation.clean_filename(name)
            raise ValidationError({"files": f"{shown}: {size:,} bytes is over the limit of {limit:,} bytes."})
        with service_errors():
            conversation.check_upload(Upload(filename=name, content=b""))
    for file in files:
        kind = (file.content_type or "").lower().strip()
        uploads.append(
            Upload(
                filename=file.name or "attachment",
                content=file.read(),
                content_type=kind if _CONTENT_TYPE.match(kind) else "",
            )
        )
    return uploads


def _multipart(request: HttpRequest, *, payload: bool = True) -> tuple[Any, list[Any]]:
    """(the parsed "payload" part or None, the "files" parts) of a multipart body; any other
    part is refused (without ``payload``, a "payload" part too)."""
    try:
        fields = request.POST
        files = request.FILES
    except RequestDataTooBig:
        raise HttpError(413, "The request's form fields are too large.") from None
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent, SuspiciousOperation):
        raise HttpError(400, "The multipart body could not be read.") from None
    known = {"payload", "csrfmiddlewaretoken"} if payload else {"csrfmiddlewaretoken"}
    unknown = sorted((set(fields) - known) | (set(files) - {"files"}))
    if unknown:
        raise RequestValidationError(
            [
                {"loc": ("body", name), "type": "extra_forbidden", "msg": "Unknown part."}
                for name in unknown[:20]
            ]
        )
    raw = fields.get("payload")
    data = None
    if raw is not None:
        try:
            data = json.loads(raw)
        except ValueError:
            raise HttpError(400, "The 'payload' part is not valid JSON.") from None
    return data, files.getlist("files")


def _read_body(request: HttpRequest, schema: type[S]) -> tuple[S, list[Upload]]:
    """The body as ``schema`` and its files: JSON, or multipart with "payload" and "files"."""
    uploads: list[Any] = []
    if request.content_type == "multipart/form-data":
        data, uploads = _multipart(request)
        if data is None:
            raise RequestValidationError(
                [
                    {
                        # ("body", "payload") is the parameter; the third part names the part.
                        "loc": ("body", "payload", "payload"),
                        "type": "missing_part",
                        "msg": "Send the JSON document in a part named 'payload'.",
                    }
                ]
            )
    else:
        try:
            raw = request.body
        except RequestDataTooBig:
            raise HttpError(413, "The request body is too large.") from None
        if not raw:
            raise _not_an_object()
        try:
            data = json.loads(raw)
        except ValueError:
            raise HttpError(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _not_an_object()
    try:
        payload = schema.model_validate(data)
    except PydanticValidationError as exc:
        raise _invalid([dict(error) for error in exc.errors(include_url=False)]) from None
    return payload, _uploads(uploads)


def _body_doc(schema: type[Schema], *, required: bool = True) -> dict[str, Any]:
    """OpenAPI for a body that is JSON, or multipart with a JSON "payload" part and files."""
    json_schema = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    return {
        "requestBody": {
            "required": required,
            "content": {
                "application/json": {"schema": json_schema},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["payload"],
                        "properties": {
                            "payload": {"type": "string", "description": "The same JSON document."},
                            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        },
                    }
                },
            },
        }
    }


FILES_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}


def _channel(request: HttpRequest, scope: Scope) -> str:
    if principal(request).token is not None:
        return "api"
    return "web" if tickets.is_staff(scope) else "portal"
