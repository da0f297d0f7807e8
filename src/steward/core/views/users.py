"""User account pages: list, detail, create, edit and the provider admin's MFA reset."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.forms.tenancy import SetPasswordInviteForm, UserForm
from steward.core.listing import Column, Filter, build_listing
from steward.core.models import AuditEntry, Client, User
from steward.core.roles import ASSIGNABLE_ROLES, Role, can_assign
from steward.core.scoping import Scope
from steward.core.services import tenancy as services
from steward.core.views.tenancy import client_filter, get_or_404, render_list, save_form, scope_for

USER_COLUMNS = [
    Column("Name", "name", ("full_name",)),
    Column("E-mail", "email"),
    Column("Role", "role", ("role", "full_name")),
    Column("Client", "client", ("client__name", "full_name")),
    Column("Two-factor"),
    Column("Last sign-in", "last_login", ("last_login",)),
]

STATUS_OPTIONS = [("active", "Active"), ("inactive", "Inactive")]
MFA_OPTIONS = [("on", "Enrolled"), ("off", "Not enrolled")]


def _detail_url(user: User) -> str:
    return reverse("user_detail", args=[user.pk])


def _by_mfa(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
    enrolled = queryset.filter(mfa_device__confirmed_at__isnull=False)
    return enrolled if value == "on" else queryset.exclude(pk__in=enrolled.values("pk"))


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _may_manage(scope: Scope, actor: User, target: User) -> bool:
    return (
        scope.can("users.manage")
        and scope.covers_client(target.client_id)
        and can_assign(actor.role, target.role)
    )


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("users.view")
    actor = _actor(request)
    role_choices = [(value, Role(value).label) for value in Role.values]
    filters = [Filter("role", "Role", "role", options=role_choices, strict=True)]
    if actor.is_provider_staff:
        filters.append(client_filter(scope))
    filters += [
        Filter(
            "status",
            "Status",
            "is_active",
            options=STATUS_OPTIONS,
            strict=True,
            coerce=lambda value: value == "active",
        ),
        Filter("mfa", "Two-factor", _by_mfa, options=MFA_OPTIONS, strict=True),
    ]
    listing = build_listing(
        request,
        User.objects.for_scope(scope).select_related("client", "mfa_device"),
        columns=USER_COLUMNS if actor.is_provider_staff else [c for c in USER_COLUMNS if c.key != "client"],
        default_sort="name",
        search=("full_name", "email", "client__name"),
        filters=filters,
    )
    return render_list(
        request,
        "core/users/list.html",
        "core/users/_table.html",
        {
            "title": "Users",
            "listing": listing,
            "can_add": scope.can("users.manage"),
            "show_client": actor.is_provider_staff,
        },
    )


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    target = get_or_404(scope, User, pk)
    actor = _actor(request)
    context: dict[str, Any] = {
        "page_title": target.full_name,
        "account": target,
        "can_edit": _may_manage(scope, actor, target),
        "can_reset_mfa": actor.role == Role.PROVIDER_ADMIN and scope.all_clients and target.has_mfa,
        "is_self": target.pk == actor.pk,
    }
    if target.role == Role.TECHNICIAN and not target.all_clients:
        context["grants"] = (
            Client.objects.for_scope(scope).filter(granted_technicians=target).order_by("name")
        )
    if scope.can("audit.view"):
        entries = AuditEntry.objects.for_scope(scope)
        context["activity_by"] = entries.filter(actor_id=target.pk)[:10]
        context["activity_on"] = entries.filter(object_type="core.user", object_id=str(target.pk))[:10]
    return render(request, "core/users/detail.html", context)


def _send_invite(request: HttpRequest, user: User) -> None:
    if SetPasswordInviteForm(user).send(request):
        messages.info(request, f"A set-password e-mail was sent to {user.email}.")


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("users.manage")
    actor = _actor(request)
    default_role = Role.END_USER if Role.END_USER in ASSIGNABLE_ROLES.get(actor.role, ()) else actor.role
    initial: dict[str, Any] = {"role": default_role, "is_active": True, "send_invite": True}
    if request.GET.get("client", "").isdigit():
        initial["client"] = request.GET["client"]
    form = UserForm(request.POST or None, scope=scope, actor=actor, initial=initial)

    def create() -> User:
        client_id = form.client_id if form.is_provider_admin else actor.client_id
        user = services.create_user(
            scope, client_id, form.service_data(), granted_client_ids=form.granted_client_ids()
        )
        if form.cleaned_data.get("send_invite"):
            _send_invite(request, user)
        return user

    done = save_form(
        request, form, create, success="Account for {obj.full_name} created.", redirect_to=_detail_url
    )
    return done or render(
        request,
        "core/form.html",
        {
            "page_title": "New user",
            "form": form,
            "title": "New user",
            "subtitle": "" if form.is_provider_admin else f"For {actor.client.name if actor.client else ''}",
            "breadcrumbs": [("Users", reverse("user_list"))],
            "submit_label": "Create account",
            "cancel_url": reverse("user_list"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    target = get_or_404(scope, User, pk)
    scope.require("users.manage")
    actor = _actor(request)
    if not _may_manage(scope, actor, target):
        raise PermissionDenied("You cannot change an account with a higher role than yours.")
    form = UserForm(request.POST or None, scope=scope, actor=actor, instance=target)
    done = save_form(
        request,
        form,
        lambda: services.update_user(
            scope, target, form.service_data(), granted_client_ids=form.granted_client_ids()
        ),
        success="Saved the changes to the account of {obj.full_name}.",
        redirect_to=_detail_url,
    )
    return done or render(
        request,
        "core/form.html",
        {
            "page_title": f"Edit {target.full_name}",
            "form": form,
            "title": f"Edit {target.full_name}",
            "subtitle": target.email,
            "breadcrumbs": [("Users", reverse("user_list")), (target.full_name, _detail_url(target))],
            "submit_label": "Save changes",
            "cancel_url": _detail_url(target),
        },
    )


@login_required
@require_POST
def user_mfa_reset(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    target = get_or_404(scope, User, pk)
    services.reset_user_mfa(scope, target)
    messages.success(
        request,
        f"Two-factor authentication was reset for {target.full_name}; "
        "they will enrol again at their next sign-in if it is required.",
    )
    return redirect(_detail_url(target))
