"""The desk's setup pages (``servicedesk.configure``): SLA policies and calendars, mailboxes,
client service profiles, and the mail review queue.

Saving an SLA policy or a calendar recomputes the open tickets that use it, from their event
logs, so due times and breaches follow the change exactly.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from steward.core.forms.tenancy import apply_service_errors
from steward.core.models import Client, Site
from steward.core.scoping import Scope
from steward.core.views.tenancy import scope_for
from steward.servicedesk.mail import parse_message
from steward.servicedesk.models import BusinessCalendar, InboundMail, Mailbox, ServiceProfile, SlaPolicy
from steward.servicedesk.services import mail_in, sla
from steward.servicedesk.setup_forms import (
    AcceptMailForm,
    CalendarForm,
    MailboxForm,
    ServiceProfileForm,
    SlaPolicyForm,
)

RAW_PREVIEW_BYTES = 20_000


def _configure(request: HttpRequest) -> Scope:
    scope = scope_for(request)
    scope.require("servicedesk.configure")
    return scope


def _form_page(request: HttpRequest, form: Any, title: str, back: str, subtitle: str = "") -> HttpResponse:
    return render(
        request,
        "core/form.html",
        {
            "page_title": title,
            "title": title,
            "subtitle": subtitle,
            "form": form,
            "cancel_url": back,
            "breadcrumbs": [("Service levels", reverse("sla_setup"))],
        },
    )


def _row(model: Any, scope: Scope, pk: Any) -> Any:
    row = model.objects.filter(provider_id=scope.provider_id, pk=pk).first()
    if row is None:
        raise Http404("Not found.")
    return row


def _single_default(model: Any, row: Any) -> None:
    if row.is_default:
        model.objects.filter(provider_id=row.provider_id, is_default=True).exclude(pk=row.pk).update(
            is_default=False
        )


# ---- SLA policies and calendars ------------------------------------------------------------


@login_required
@require_GET
def sla_setup(request: HttpRequest) -> HttpResponse:
    scope = _configure(request)
    return render(
        request,
        "servicedesk_setup/sla_setup.html",
        {
            "page_title": "Service levels",
            "policies": SlaPolicy.objects.filter(provider_id=scope.provider_id).select_related("calendar"),
            "calendars": BusinessCalendar.objects.filter(provider_id=scope.provider_id),
            "profiles": ServiceProfile.objects.filter(client__provider_id=scope.provider_id).select_related(
                "client", "site", "sla_policy", "calendar"
            ),
        },
    )


def _recompute_after(request: HttpRequest, **changed: Any) -> None:
    ids = sla.tickets_using(**changed)
    count = sla.recompute(ids)
    messages.success(request, f"Saved; the SLA state of {count} open ticket(s) was recomputed.")


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    scope = _configure(request)
    policy = _row(SlaPolicy, scope, pk) if pk else SlaPolicy(provider_id=scope.provider_id)
    form = SlaPolicyForm(request.POST or None, instance=policy, provider_id=scope.provider_id)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            policy = form.save(commit=False)
            policy.definition = form.cleaned_data["definition_text"]
            policy.save()
            _single_default(SlaPolicy, policy)
        _recompute_after(request, policy=policy)
        return redirect("sla_setup")
    title = f"Edit SLA {policy.name}" if pk else "New SLA policy"
    return _form_page(
        request, form, title, reverse("sla_setup"), "Targets are business time on the calendar."
    )


@login_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    scope = _configure(request)
    calendar = _row(BusinessCalendar, scope, pk) if pk else BusinessCalendar(provider_id=scope.provider_id)
    form = CalendarForm(request.POST or None, instance=calendar)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            calendar = form.save(commit=False)
            calendar.definition = form.cleaned_data["definition_text"]
            calendar.save()
            _single_default(BusinessCalendar, calendar)
        _recompute_after(request, calendar=calendar)
        return redirect("sla_setup")
    title = f"Edit calendar {calendar.name}" if pk else "New business calendar"
    return _form_page(request, form, title, reverse("sla_setup"))


@login_required
@require_POST
def sla_row_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    scope = _configure(request)
    model = {"policy": SlaPolicy, "calendar": BusinessCalendar}.get(kind)
    if model is None:
        raise Http404("Not found.")
    row = _row(model, scope, pk)
    try:
        row.delete()
    except ProtectedError:
        messages.error(request, f"{row.name} is still used by an SLA policy; change that first.")
    else:
        messages.success(request, f"Deleted {row.name}.")
    return redirect("sla_setup")


@login_required
@require_http_methods(["GET", "POST"])
def service_profile_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    """A client's service settings (or one site's, overriding the client's)."""
    scope = _configure(request)
    client = Client.objects.for_scope(scope).filter(pk=client_id).first()
    if client is None:
        raise Http404("No such client.")
    sites = Site.objects.for_scope(scope).filter(client=client)
    wanted = request.POST.get("site") if request.method == "POST" else request.GET.get("site")
    site = sites.filter(pk=wanted).first() if wanted and str(wanted).isdigit() else None
    profile = ServiceProfile.objects.filter(client=client, site=site).first() or ServiceProfile(
        client=client, site=site
    )
    form = ServiceProfileForm(
        request.POST or None, instance=profile, provider_id=scope.provider_id, sites=sites
    )
    if request.method == "POST" and form.is_valid():
        profile = form.save(commit=False)
        profile.client = client
        profile.save()
        _recompute_after(request, client_id=client.pk)
        return redirect("sla_setup")
    return _form_page(
        request,
        form,
        f"Service settings of {client.name}",
        reverse("sla_setup"),
        "Which SLA, calendar and sender name this client (or one of its sites) gets.",
    )


# ---- Mailboxes ---------------------------------------------------------------------------------


@login_required
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    scope = _configure(request)
    return render(
        request,
        "servicedesk_setup/mailbox_list.html",
        {
            "page_title": "Mailboxes",
            "mailboxes": Mailbox.objects.filter(provider_id=scope.provider_id).select_related(
                "client", "queue"
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    scope = _configure(request)
    mailbox = _row(Mailbox, scope, pk) if pk else Mailbox(provider_id=scope.provider_id)
    form = MailboxForm(
        request.POST or None,
        instance=mailbox,
        provider_id=scope.provider_id,
        clients=Client.objects.for_scope(scope),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                mailbox = form.save()
                if form.cleaned_data.get("imap_password"):
                    mail_in.set_mailbox_password(mailbox, form.cleaned_data["imap_password"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {mailbox.address}.")
            return redirect("mailbox_list")
    back = reverse("mailbox_list")
    return render(
        request,
        "core/form.html",
        {
            "page_title": "Mailbox",
            "title": f"Mailbox {mailbox.address}" if pk else "New mailbox",
            "form": form,
            "cancel_url": back,
            "breadcrumbs": [("Mailboxes", back)],
        },
    )


# ---- Mail review -------------------------------------------------------------------------------


@login_required
@require_GET
def inbound_mail_list(request: HttpRequest) -> HttpResponse:
    scope = _configure(request)
    outcome = request.GET.get("outcome") or InboundMail.Outcome.REVIEW
    if outcome not in InboundMail.Outcome.values and outcome != "all":
        outcome = InboundMail.Outcome.REVIEW
    rows = InboundMail.objects.filter(provider_id=scope.provider_id).select_related("ticket", "client")
    if outcome != "all":
        rows = rows.filter(outcome=outcome)
    return render(
        request,
        "servicedesk_setup/inbound_list.html",
        {
            "page_title": "Received mail",
            "rows": rows[:200],
            "outcome": outcome,
            "outcomes": [("all", "All"), *InboundMail.Outcome.choices],
        },
    )


def _inbound(scope: Scope, pk: Any) -> InboundMail:
    record = InboundMail.objects.filter(provider_id=scope.provider_id, pk=pk).first()
    if record is None:
        raise Http404("No such message.")
    return record


@login_required
@require_http_methods(["GET", "POST"])
def inbound_mail_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _configure(request)
    record = _inbound(scope, pk)
    raw = mail_in.raw_of(record)
    parsed = parse_message(raw)
    form = AcceptMailForm(request.POST or None, clients=Client.objects.for_scope(scope))
    if request.method == "POST":
        if request.POST.get("action") == "discard":
            mail_in.discard(scope, record)
            messages.success(request, "Discarded; the raw message is still kept.")
            return redirect("inbound_mail_list")
        if form.is_valid():
            ticket = mail_in.accept_for_client(scope, record, form.cleaned_data["client"].pk)
            messages.success(request, f"Opened T-{ticket.pk} from the message.")
            return redirect("ticket_detail", pk=ticket.pk)
    return render(
        request,
        "servicedesk_setup/inbound_detail.html",
        {
            "page_title": "Received mail",
            "record": record,
            "parsed": parsed,
            "raw_preview": raw[:RAW_PREVIEW_BYTES].decode("utf-8", "replace"),
            "raw_truncated": len(raw) > RAW_PREVIEW_BYTES,
            "form": form,
        },
    )


@login_required
@require_GET
def inbound_mail_raw(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _configure(request)
    record = _inbound(scope, pk)
    response = HttpResponse(mail_in.raw_of(record), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{record.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
