"""Home routing, dashboard, client-portal home, health check and error pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from steward.core.models import AuditEntry, Client, Contact, SchedulerBeat, Site, User
from steward.devices.views.dashboard import fleet_widget
from steward.jobs import queue_health
from steward.servicedesk.views.dashboard import servicedesk_widget
from steward.web.context_processors import request_scope


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_provider_staff:  # type: ignore[union-attr]
        return redirect("dashboard")
    return redirect("portal_home")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    assert scope is not None
    if not request.user.is_provider_staff:  # type: ignore[union-attr]
        return redirect("portal_home")
    scope.require("clients.view")
    clients = Client.objects.for_scope(scope)
    status_counts = dict.fromkeys(Client.Status.values, 0)
    for row in clients.order_by().values("status").annotate(n=Count("id")):
        status_counts[row["status"]] = row["n"]
    users = User.objects.for_scope(scope) if scope.can("users.view") else None
    context: dict[str, Any] = {
        "page_title": "Dashboard",
        "status_counts": status_counts,
        "client_total": sum(status_counts.values()),
        "site_total": Site.objects.for_scope(scope).count() if scope.can("sites.view") else None,
        "contact_total": Contact.objects.for_scope(scope).count() if scope.can("contacts.view") else None,
        "user_total": users.count() if users is not None else None,
        "mfa_missing": (
            users.filter(is_active=True, mfa_device__confirmed_at__isnull=True).count()
            if users is not None
            else None
        ),
        "recent_clients": clients.only("pk", "name", "status", "created_at", "provider_id").order_by(
            "-created_at"
        )[:8],
        "onboarding": clients.filter(status=Client.Status.ONBOARDING)
        .only("pk", "name", "created_at", "provider_id")
        .order_by("created_at")[:6],
        "recent_activity": AuditEntry.objects.for_scope(scope)[:10] if scope.can("audit.view") else [],
        # Modules add cards here.
        "widgets": [w for w in (fleet_widget(scope), servicedesk_widget(scope)) if w],
    }
    return render(request, "web/dashboard.html", context)


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    assert scope is not None
    user: Any = request.user
    if user.is_provider_staff:
        return redirect("dashboard")
    scope.require("portal.access")
    client = Client.objects.for_scope(scope).get(pk=user.client_id)
    sites = Site.objects.for_scope(scope) if scope.can("sites.view") else None
    contacts = Contact.objects.for_scope(scope) if scope.can("contacts.view") else None
    users = User.objects.for_scope(scope) if scope.can("users.view") else None
    context = {
        "page_title": client.name,
        "client": client,
        "sites": sites.order_by("name")[:20] if sites is not None else None,
        "site_total": sites.count() if sites is not None else None,
        "contacts": contacts.filter(is_primary=True)[:10] if contacts is not None else None,
        "contact_total": contacts.count() if contacts is not None else None,
        "user_total": users.count() if users is not None else None,
        "can_manage_users": scope.can("users.manage"),
        "recent_activity": AuditEntry.objects.for_scope(scope)[:10] if scope.can("audit.view") else None,
    }
    return render(request, "web/portal_home.html", context)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and queue health for load balancers and monitoring; 503 when unhealthy."""
    checks: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # reported, not raised: this is the health endpoint
        checks["database"] = {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    checks["queue"] = queue_health(settings.HUEY)
    beat = None
    if checks["database"]["ok"]:
        beat = SchedulerBeat.objects.filter(name="heartbeat").first()
    if beat is None:
        checks["scheduler"] = {"ok": None, "last_run": None, "note": "no periodic run recorded yet"}
    else:
        age = (timezone.now() - beat.last_run_at).total_seconds()
        checks["scheduler"] = {
            "ok": age < dt.timedelta(minutes=5).total_seconds(),
            "last_run": beat.last_run_at.isoformat(),
            "age_seconds": int(age),
        }
    healthy = bool(checks["database"]["ok"] and checks["queue"]["ok"])
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks}, status=200 if healthy else 503
    )


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(
        request, "web/error.html", {"status": status, "title": title, "message": message}, status=status
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = (
        str(exception)
        if isinstance(exception, PermissionDenied) and str(exception)
        else ("You do not have access to this page.")
    )
    return _error(request, 403, "Access denied", message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "Not found", "There is nothing here, or it is outside your access.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "Something went wrong", "The error has been logged. Please try again.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        "Form expired",
        "Your form was open too long or cookies are blocked. Reload the page and try again.",
    )
