"""Enrollment tokens: list, create (the secret and the enroll command shown once), revoke."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.forms.tenancy import apply_service_errors
from steward.core.listing import Column, Filter, build_listing
from steward.core.views.tenancy import client_filter, render_list, requested_client, scope_for
from steward.devices.forms import EnrollmentTokenForm
from steward.devices.models import EnrollmentToken
from steward.devices.services.tokens import create_enrollment_token, revoke_enrollment_token

TOKEN_COLUMNS = [
    Column("Name", "name", ("name",)),
    Column("Client", "client", ("client__name", "name")),
    Column("Site"),
    Column("Prefix"),
    Column("Uses", "uses", ("uses",), css="num"),
    Column("Expires", "expires", ("expires_at",)),
    Column("Status"),
    Column("Created", "created", ("created_at",)),
    Column(""),
]
STATE_CHOICES = [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]


def _state_filter() -> Filter:
    def narrow(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        now = timezone.now()
        if value == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if value == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)

    return Filter("state", "Status", narrow, options=STATE_CHOICES, strict=True)


def enroll_command(secret: str) -> str:
    return f"steward-agent enroll --server {settings.SITE_URL} --token {secret}"


@login_required
def enrollment_token_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("devices.enroll")
    queryset = EnrollmentToken.objects.for_scope(scope).select_related("client", "site", "created_by")
    listing = build_listing(
        request,
        queryset,
        columns=TOKEN_COLUMNS,
        default_sort="-created",
        search=("name", "prefix", "client__name"),
        filters=[client_filter(scope), _state_filter()],
    )
    return render_list(
        request,
        "devices/enrollment/list.html",
        "devices/enrollment/_table.html",
        {"title": "Enrollment tokens", "listing": listing, "can_add": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def enrollment_token_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("devices.enroll")
    preselected = requested_client(request, scope)
    form = EnrollmentTokenForm(request.POST or None, scope=scope, initial={"client": preselected, "days": 7})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = create_enrollment_token(
                scope,
                data["client"].pk,
                data["site"].pk if data.get("site") else None,
                data["name"],
                data["days"],
                data.get("max_uses"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # Rendered, not redirected: the secret exists only in this response.
            response = render(
                request,
                "devices/enrollment/created.html",
                {
                    "page_title": "Enrollment token created",
                    "token": token,
                    "secret": secret,
                    "command": enroll_command(secret),
                    "server_url": settings.SITE_URL,
                },
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "core/form.html",
        {
            "page_title": "New enrollment token",
            "title": "New enrollment token",
            "subtitle": "Lets agents join a client (optionally a site). The token is shown once.",
            "form": form,
            "submit_label": "Create token",
            "cancel_url": reverse("enrollment_token_list"),
            "breadcrumbs": [("Enrollment", reverse("enrollment_token_list"))],
        },
    )


@login_required
@require_POST
def enrollment_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    scope.require("devices.enroll")
    token = EnrollmentToken.objects.for_scope(scope).filter(pk=pk).first()
    if token is None:
        raise Http404
    if token.revoked_at is None:
        revoke_enrollment_token(scope, token)
        messages.success(request, f"Token “{token.name}” revoked: it enrolls no more devices.")
    return redirect("enrollment_token_list")
