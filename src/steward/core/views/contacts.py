"""Contact pages: list, detail, create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from steward.core.forms.tenancy import ContactForm
from steward.core.listing import Column, Filter, build_listing
from steward.core.models import AuditEntry, Contact
from steward.core.services import tenancy as services
from steward.core.views.tenancy import (
    client_filter,
    get_or_404,
    render_list,
    requested_client,
    save_form,
    scope_for,
)

CONTACT_COLUMNS = [
    Column("Name", "name", ("full_name",)),
    Column("Client", "client", ("client__name", "full_name")),
    Column("Job title", "title", ("job_title", "full_name")),
    Column("E-mail", "email"),
    Column("Phone"),
    Column("Site", "site", ("site__name", "full_name")),
]

PRIMARY_OPTIONS = [("yes", "Primary contacts"), ("no", "Other contacts")]


def _detail_url(contact: Contact) -> str:
    return reverse("contact_detail", args=[contact.pk])


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("contacts.view")
    queryset = (
        Contact.objects.for_scope(scope)
        .select_related("client", "site")
        .only(
            "pk",
            "full_name",
            "email",
            "phone",
            "job_title",
            "is_primary",
            "client_id",
            "site_id",
            "client__name",
            "site__name",
        )
    )
    listing = build_listing(
        request,
        queryset,
        columns=CONTACT_COLUMNS,
        default_sort="name",
        search=("full_name", "email", "phone", "job_title", "client__name"),
        filters=[
            client_filter(scope),
            Filter(
                "primary",
                "Primary",
                "is_primary",
                options=PRIMARY_OPTIONS,
                strict=True,
                coerce=lambda value: value == "yes",
            ),
        ],
    )
    return render_list(
        request,
        "core/contacts/list.html",
        "core/contacts/_table.html",
        {
            "title": "Contacts",
            "listing": listing,
            "can_add": scope.can("contacts.add"),
        },
    )


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    contact = get_or_404(scope, Contact, pk)
    context = {
        "page_title": contact.full_name,
        "contact": contact,
        "can_edit": scope.can("contacts.change"),
        "can_delete": scope.can("contacts.delete"),
    }
    if scope.can("audit.view"):
        context["recent_activity"] = AuditEntry.objects.for_scope(scope).filter(
            object_type="core.contact", object_id=str(contact.pk)
        )[:8]
    return render(request, "core/contacts/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("contacts.add")
    preselected = requested_client(request, scope)
    form = ContactForm(
        request.POST or None,
        scope=scope,
        initial={"client": preselected},
        client_id=preselected.pk if preselected else None,
    )
    done = save_form(
        request,
        form,
        lambda: services.create_contact(scope, form.cleaned_data["client"].pk, form.service_data()),
        success="Contact “{obj}” added.",
        redirect_to=_detail_url,
        aliases={"site_id": "site"},
    )
    crumbs = [("Contacts", reverse("contact_list"))]
    if preselected is not None:
        crumbs = [
            ("Clients", reverse("client_list")),
            (preselected.name, reverse("client_detail", args=[preselected.pk])),
        ]
    return done or render(
        request,
        "core/form.html",
        {
            "page_title": "New contact",
            "form": form,
            "title": "New contact",
            "breadcrumbs": crumbs,
            "submit_label": "Add contact",
            "cancel_url": crumbs[-1][1],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    contact = get_or_404(scope, Contact, pk)
    scope.require("contacts.change")
    form = ContactForm(request.POST or None, scope=scope, instance=contact, initial={"site": contact.site_id})
    done = save_form(
        request,
        form,
        lambda: services.update_contact(scope, contact, form.service_data()),
        success="Saved the changes to “{obj}”.",
        redirect_to=_detail_url,
        aliases={"site_id": "site"},
    )
    return done or render(
        request,
        "core/form.html",
        {
            "page_title": f"Edit {contact.full_name}",
            "form": form,
            "title": f"Edit {contact.full_name}",
            "subtitle": contact.client.name,
            "breadcrumbs": [("Contacts", reverse("contact_list")), (contact.full_name, _detail_url(contact))],
            "submit_label": "Save changes",
            "cancel_url": _detail_url(contact),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    contact = get_or_404(scope, Contact, pk)
    scope.require("contacts.delete")
    if request.method == "POST":
        name = contact.full_name
        services.delete_contact(scope, contact)
        messages.success(request, f"Contact “{name}” deleted.")
        return redirect("contact_list")
    return render(
        request,
        "core/confirm_delete.html",
        {
            "page_title": f"Delete {contact.full_name}",
            "object": contact,
            "kind": "contact",
            "breadcrumbs": [("Contacts", reverse("contact_list")), (contact.full_name, _detail_url(contact))],
            "cancel_url": _detail_url(contact),
        },
    )
