"""Client pages: list, detail, create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from steward.core.forms.tenancy import ClientForm, DeleteClientForm
from steward.core.listing import Column, Filter, build_listing
from steward.core.models import AuditEntry, Client, Contact, Site, User
from steward.core.services import tenancy as services
from steward.core.views.tenancy import counts_by_client, get_or_404, render_list, save_form, scope_for

CLIENT_COLUMNS = [
    Column("Client", "name"),
    Column("Code", "code", ("short_code",)),
    Column("Status", "status", ("status", "name")),
    Column("E-mail domain", "domain", ("email_domain",)),
    Column("Sites", css="num"),
    Column("Contacts", css="num"),
    Column("Added", "created", ("created_at",)),
]


def _detail_url(client: Client) -> str:
    return reverse("client_detail", args=[client.pk])


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("clients.view")
    queryset = Client.objects.for_scope(scope).only(
        "pk", "name", "short_code", "status", "email_domain", "created_at", "provider_id"
    )
    listing = build_listing(
        request,
        queryset,
        columns=CLIENT_COLUMNS,
        default_sort="name",
        search=("name", "short_code", "email_domain"),
        filters=[Filter("status", "Status", "status", options=Client.Status.choices, strict=True)],
    )
    rows = list(listing.page.object_list)
    ids = [client.pk for client in rows]
    site_counts = counts_by_client(Site.objects.for_scope(scope), ids) if scope.can("sites.view") else {}
    contact_counts = (
        counts_by_client(Contact.objects.for_scope(scope), ids) if scope.can("contacts.view") else {}
    )
    for client in rows:
        client.site_count = site_counts.get(client.pk, 0)
        client.contact_count = contact_counts.get(client.pk, 0)
    listing.page.object_list = rows
    return render_list(
        request,
        "core/clients/list.html",
        "core/clients/_table.html",
        {
            "title": "Clients",
            "listing": listing,
            "can_add": scope.can("clients.add") and scope.all_clients,
        },
    )


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    client = get_or_404(scope, Client, pk)
    context = {
        "page_title": client.name,
        "client": client,
        "can_edit": scope.can("clients.change"),
        "can_delete": scope.can("clients.delete") and scope.all_clients,
        "can_add_site": scope.can("sites.add"),
        "can_add_contact": scope.can("contacts.add"),
        "can_manage_users": scope.can("users.manage"),
    }
    if scope.can("sites.view"):
        sites = Site.objects.for_scope(scope).filter(client=client)
        context["sites"] = sites.only("pk", "name", "city", "country", "time_zone", "client_id")[:10]
        context["site_count"] = sites.count()
    if scope.can("contacts.view"):
        contacts = Contact.objects.for_scope(scope).filter(client=client)
        context["contacts"] = contacts.select_related("site").order_by("-is_primary", "full_name")[:10]
        context["contact_count"] = contacts.count()
    if scope.can("users.view"):
        users = User.objects.for_scope(scope).filter(client=client)
        context["users"] = users.order_by("full_name")[:10]
        context["user_count"] = users.count()
    if scope.can("audit.view"):
        context["recent_activity"] = AuditEntry.objects.for_scope(scope).filter(client_id=client.pk)[:10]
    return render(request, "core/clients/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("clients.add")
    if not scope.all_clients:
        raise PermissionDenied("Only staff with access to all clients can create clients.")
    form = ClientForm(request.POST or None, initial={"status": Client.Status.ONBOARDING})
    done = save_form(
        request,
        form,
        lambda: services.create_client(scope, form.service_data()),
        success="Client “{obj}” created.",
        redirect_to=_detail_url,
    )
    return done or render(
        request,
        "core/form.html",
        {
            "page_title": "New client",
            "form": form,
            "title": "New client",
            "breadcrumbs": [("Clients", reverse("client_list"))],
            "submit_label": "Create client",
            "cancel_url": reverse("client_list"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    client = get_or_404(scope, Client, pk)
    scope.require("clients.change")
    form = ClientForm(request.POST or None, instance=client)
    done = save_form(
        request,
        form,
        lambda: services.update_client(scope, client, form.service_data()),
        success="Saved the changes to “{obj}”.",
        redirect_to=_detail_url,
    )
    return done or render(
        request,
        "core/form.html",
        {
            "page_title": f"Edit {client.name}",
            "form": form,
            "title": f"Edit {client.name}",
            "breadcrumbs": [("Clients", reverse("client_list")), (client.name, _detail_url(client))],
            "submit_label": "Save changes",
            "cancel_url": _detail_url(client),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    client = get_or_404(scope, Client, pk)
    scope.require("clients.delete")
    scope.require_client(client.pk)
    if not scope.all_clients:
        raise PermissionDenied("Only staff with access to all clients can delete clients.")
    form = DeleteClientForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        name = client.name
        services.delete_client(scope, client)
        messages.success(request, f"Client “{name}” and everything recorded for it were deleted.")
        return redirect("client_list")
    consequences = [
        (Site.objects.for_scope(scope).filter(client=client).count(), "site"),
        (Contact.objects.for_scope(scope).filter(client=client).count(), "contact"),
        (User.objects.for_scope(scope).filter(client=client).count(), "user account"),
    ]
    return render(
        request,
        "core/confirm_delete.html",
        {
            "page_title": f"Delete {client.name}",
            "object": client,
            "kind": "client",
            "form": form,
            "consequences": [(n, noun) for n, noun in consequences if n],
            "breadcrumbs": [("Clients", reverse("client_list")), (client.name, _detail_url(client))],
            "cancel_url": _detail_url(client),
        },
    )
