"""How API callers prove who they are: personal API tokens, or the browser's session.

A token request replaces the request's audit actor (set by the middleware as anonymous)
with the token, so every change it makes is attributed to that token and its owner.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from steward.core import audit
from steward.core.api.common import Check, Principal
from steward.core.middleware import client_ip
from steward.core.models import AuditEntry
from steward.core.scoping import Scope
from steward.core.services.security import authenticate_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class ApiAuthError(AuthenticationError):
    """A credential was presented but cannot be used; ``error`` is the RFC 6750 error code."""

    def __init__(self, message: str, *, error: str = "invalid_token") -> None:
        super().__init__(401, message)
        self.error = error


class TokenAuth(HttpBearer):
    """``Authorization: Bearer stw_…``: a personal API token."""

    def __init__(self, check: Check | None = None) -> None:
        super().__init__()
        self.check = check

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if header is None:
            return None  # no token: the session may still authenticate the request
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme or not value.strip():
            raise ApiAuthError(
                "Malformed Authorization header: send 'Authorization: Bearer <API token>'.",
                error="invalid_request",
            )
        return self.authenticate(request, value.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        ip = client_ip(request)
        found = authenticate_token(token, ip=ip)
        if found is None:
            # One answer for unknown, expired, revoked and deactivated-owner tokens.
            raise ApiAuthError("The API token is invalid, expired or revoked.")
        api_token, scope = found
        user = api_token.user
        where = audit.current_actor()
        audit.set_actor(
            audit.Actor(
                type=AuditEntry.ActorType.TOKEN,
                label=f"{user.email} (token {api_token.prefix})",
                user_id=user.pk,
                token_id=api_token.pk,
                ip=ip,
                user_agent=where.user_agent,
                request_id=where.request_id,
            )
        )
        principal = Principal(user=user, scope=scope, token=api_token)
        request.scope = scope  # type: ignore[attr-defined]
        if self.check is not None:
            self.check(request, principal)
        return principal


class SessionAuth(APIKeyCookie):
    """The signed-in browser session (same-origin UI); unsafe methods need the CSRF token."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self, check: Check | None = None) -> None:
        super().__init__(csrf=True)
        self.check = check

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(
                403,
                "CSRF check failed: send the X-CSRFToken header with session requests, or use an API token.",
            )
        if user.must_use_mfa() and not user.has_mfa:
            raise HttpError(403, "Set up two-factor authentication before using Steward.")
        return self.authenticate(request, None)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal:
        user: Any = request.user
        scope = Scope.for_user(user)
        request.scope = scope  # type: ignore[attr-defined]
        principal = Principal(user=user, scope=scope)
        if self.check is not None:
            self.check(request, principal)
        return principal


AUTH = [TokenAuth(), SessionAuth()]


def guarded(check: Check) -> list[Any]:
    """Authentication for an operation, followed by ``check`` (before input validation)."""
    return [TokenAuth(check), SessionAuth(check)]
