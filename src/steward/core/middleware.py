"""Request-level plumbing: security headers, MFA enforcement, audit actor context."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from steward.core import audit

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def client_ip(request: HttpRequest) -> str:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path.startswith("/api/") or (
            getattr(request, "user", None) and request.user.is_authenticated
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class AuditContextMiddleware:
    """Every audit entry written while serving a request names the user and the origin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = {
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "request_id": audit.new_request_id(),
        }
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = audit.Actor.for_user(user, **where)
        else:
            actor = audit.Actor(type="anonymous", label="anonymous", **where)
        token = audit.set_actor(actor)
        try:
            response = self.get_response(request)
        finally:
            audit.reset_actor(token)
        response.headers["X-Request-ID"] = where["request_id"]
        return response


MFA_EXEMPT_URL_NAMES = ("mfa_setup", "logout", "healthz")


class SessionMfaMiddleware:
    """Users who must use MFA but have not enrolled can only reach the enrolment page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(("/api/", settings.STATIC_URL))
            and user.must_use_mfa()
            and not user.has_mfa
        ):
            exempt = {reverse(name) for name in MFA_EXEMPT_URL_NAMES}
            if request.path not in exempt:
                return redirect("mfa_setup")
        return self.get_response(request)
