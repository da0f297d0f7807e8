"""Site pages: list, detail, create, edit, delete."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from steward.core.forms.tenancy import SiteForm
from steward.core.listing import Column, Filter, build_listing
from steward.core.models import AuditEntry, Contact, Site
from steward.core.scoping import Scope
from steward.core.services import tenancy as services
from steward.core.views.tenancy import (
    client_filter,
    get_or_404,
    render_list,
    requested_client,
    save_form,
    scope_for,
)

SITE_COLUMNS = [
    Column("Site", "name"),
    Column("Client", "client", ("client__name",)),
    Column("City", "city", ("city", "name")),
    Column("Country", "country", ("country", "city")),
    Column("Time zone", "tz", ("time_zone", "name")),
    Column("Local time"),
]


def _detail_url(site: Site) -> str:
    return reverse("site_detail", args=[site.pk])


def _time_zone_filter(scope: Scope) -> Filter:
    sites = Site.objects.for_scope(scope)

    def options() -> list[tuple[str, str]]:
        zones = sites.order_by("time_zone").values_list("time_zone", flat=True).distinct()
        return [(zone, zone.replace("_", " ")) for zone in zones]

    return Filter("tz", "Time zone", "time_zone", options=options, strict=True)


def local_time(zone: str) -> str:
    try:
        return timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).strftime("%H:%M")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ""


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("sites.view")
    queryset = (
        Site.objects.for_scope(scope)
        .select_related("client")
        .only("pk", "name", "city", "country", "time_zone", "client_id", "client__name", "client__short_code")
    )
    listing = build_listing(
        request,
        queryset,
        columns=SITE_COLUMNS,
        default_sort="name",
        search=("name", "city", "postal_code", "client__name", "client__short_code"),
        filters=[client_filter(scope), _time_zone_filter(scope)],
    )
    rows = list(listing.page.object_list)
    clocks: dict[str, str] = {}
    for site in rows:
        if site.time_zone not in clocks:
            clocks[site.time_zone] = local_time(site.time_zone)
        site.local_time = clocks[site.time_zone]
    listing.page.object_list = rows
    return render_list(
        request,
        "core/sites/list.html",
        "core/sites/_table.html",
        {
            "title": "Sites",
            "listing": listing,
            "can_add": scope.can("sites.add"),
            "client_filter": next(f for f in listing.filters if f.name == "client"),
        },
    )


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    site = get_or_404(scope, Site, pk)
    zone = zoneinfo.ZoneInfo(site.time_zone)
    now = timezone.now().astimezone(zone)
    context = {
        "page_title": site.name,
        "site": site,
        "local_now": now,
        "utc_offset": now.strftime("%z"),
        "can_edit": scope.can("sites.change"),
        "can_delete": scope.can("sites.delete"),
        "can_add_contact": scope.can("contacts.add"),
    }
    if scope.can("contacts.view"):
        contacts = Contact.objects.for_scope(scope).filter(site=site)
        context["contacts"] = contacts.order_by("-is_primary", "full_name")[:25]
        context["contact_count"] = contacts.count()
    if scope.can("audit.view"):
        context["recent_activity"] = AuditEntry.objects.for_scope(scope).filter(
            object_type="core.site", object_id=str(site.pk)
        )[:8]
    return render(request, "core/sites/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def site_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("sites.add")
    preselected = requested_client(request, scope)
    form = SiteForm(request.POST or None, scope=scope, initial={"client": preselected, "time_zone": "UTC"})
    done = save_form(
        request,
        form,
        lambda: services.create_site(scope, form.cleaned_data["client"].pk, form.service_data()),
        success="Site “{obj.name}” created.",
        redirect_to=_detail_url,
    )
    crumbs = [("Sites", reverse("site_list"))]
    if preselected is not None:
        crumbs = [
            ("Clients", reverse("client_list")),
            (preselected.name, reverse("client_detail", args=[preselected.pk])),
        ]
    return done or render(
        request,
        "core/form.html",
        {
            "page_title": "New site",
            "form": form,
            "title": "New site",
            "breadcrumbs": crumbs,
            "submit_label": "Create site",
            "cancel_url": crumbs[-1][1],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    site = get_or_404(scope, Site, pk)
    scope.require("sites.change")
    form = SiteForm(request.POST or None, scope=scope, instance=site)
    done = save_form(
        request,
        form,
        lambda: services.update_site(scope, site, form.service_data()),
        success="Saved the changes to “{obj.name}”.",
        redirect_to=_detail_url,
    )
    return done or render(
        request,
        "core/form.html",
        {
            "page_title": f"Edit {site.name}",
            "form": form,
            "title": f"Edit {site.name}",
            "subtitle": site.client.name,
            "breadcrumbs": [("Sites", reverse("site_list")), (site.name, _detail_url(site))],
            "submit_label": "Save changes",
            "cancel_url": _detail_url(site),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    site = get_or_404(scope, Site, pk)
    scope.require("sites.delete")
    if request.method == "POST":
        name, client_id = site.name, site.client_id
        services.delete_site(scope, site)
        messages.success(request, f"Site “{name}” deleted.")
        return redirect("client_detail", client_id) if scope.can("clients.view") else redirect("site_list")
    contacts = Contact.objects.for_scope(scope).filter(site=site).count()
    return render(
        request,
        "core/confirm_delete.html",
        {
            "page_title": f"Delete {site.name}",
            "object": site,
            "kind": "site",
            "consequences_note": (
                f"{contacts} contact{'s' if contacts != 1 else ''} at this site will be kept, without a site."
                if contacts
                else ""
            ),
            "breadcrumbs": [("Sites", reverse("site_list")), (site.name, _detail_url(site))],
            "cancel_url": _detail_url(site),
        },
    )
