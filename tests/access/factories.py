"""How to find client B's object for each model an object route can address.

A module that adds object routes for a new model adds one line here; the harness then
checks every role of client A against that object on every declared method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from steward.core import audit
from steward.core.models import AuditEntry
from steward.core.services.security import issue_token


def _audit_entry_of_b(world: Any) -> models.Model:
    return AuditEntry.unscoped.filter(client_id=world.client_b.pk).order_by("-seq").first() or audit.record(
        "note", obj=world.client_b
    )


def _token_of_b(world: Any) -> models.Model:
    return issue_token(world.users["client_admin_b"], name="Bravo integration", days=30).token


OBJECT_FACTORIES: dict[str, Callable[[Any], models.Model]] = {
    "core.client": lambda world: world.client_b,
    "core.site": lambda world: world.site_b,
    "core.contact": lambda world: world.contact_b,
    "core.user": lambda world: world.users["client_it_b"],
    "core.apitoken": _token_of_b,
    "core.auditentry": _audit_entry_of_b,
}


# Text that identifies client B's data; none of it may ever reach an actor of client A.
def markers_of_b(world: Any) -> list[str]:
    return [
        world.client_b.name,
        world.site_b.name,
        world.contact_b.full_name,
        world.contact_b.email,
        *(user.email for key, user in world.users.items() if key.endswith("_b")),
        "Bravo integration",
    ]


# ---- Devices (fleet) ----------------------------------------------------------------


def _device_of_b(world: Any) -> models.Model:
    from steward.devices.models import Device

    return Device.unscoped.create(client=world.client_b, site=world.site_b, hostname="BRAVO-SECRET-PC")


def _enrollment_token_of_b(world: Any) -> models.Model:
    import datetime as dt

    from django.utils import timezone

    from steward.devices.models import EnrollmentToken

    return EnrollmentToken.unscoped.create(
        client=world.client_b,
        site=world.site_b,
        name="Bravo Secret Enrollment",
        prefix="b0b0b0b0",
        token_hash="0" * 64,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )


def _device_group_of_b(world: Any) -> models.Model:
    from steward.devices.models import DeviceGroup

    group = DeviceGroup.unscoped.create(
        provider=world.provider, client=world.client_b, name="Bravo Secret Group", kind="static"
    )
    group.devices.add(_device_of_b(world))
    return group


OBJECT_FACTORIES.update(
    {
        "devices.device": _device_of_b,
        "devices.enrollmenttoken": _enrollment_token_of_b,
        "devices.devicegroup": _device_group_of_b,
    }
)


# ---- Service desk: knowledge base -----------------------------------------------------


def _kb_article_of_b(world: Any) -> models.Model:
    from steward.servicedesk.models import Article, ArticleVersion

    # Public and client-specific: visible to client B's users, to nobody of client A. Its
    # title carries client B's name, so any page or answer that shows it is caught.
    article = Article.objects.create(
        provider=world.provider,
        client=world.client_b,
        title=f"{world.client_b.name} secret VPN guide",
        body=f"Only for {world.client_b.name}.",
        visibility="public",
    )
    ArticleVersion.objects.create(
        article=article, version=1, title=article.title, body=article.body, visibility="public"
    )
    return article


OBJECT_FACTORIES.update({"servicedesk.article": _kb_article_of_b})


# ---- Service desk: tickets (REST API) -------------------------------------------------


def _ticket_of_b(world: Any) -> models.Model:
    from steward.core.scoping import Scope
    from steward.servicedesk.services import conversation, tickets

    # Requested by client B's contact (whose name and address are markers), with an
    # internal note carrying client B's name: any answer that shows it is caught.
    scope = Scope.system(world.provider.pk)
    ticket = tickets.open_ticket(
        scope,
        subject="Printer jammed again",
        body="The printer on the second floor is jammed.",
        client_id=world.client_b.pk,
        site_id=world.site_b.pk,
        requester_contact=world.contact_b,
        requester_email=world.contact_b.email,
        requester_name=world.contact_b.full_name,
    )
    conversation.add_reply(scope, ticket, f"Note about {world.client_b.name}.", internal=True, notify=False)
    return ticket


def _canned_response_of_b(world: Any) -> models.Model:
    from steward.servicedesk.models import CannedResponse

    return CannedResponse.objects.create(
        provider=world.provider,
        client=world.client_b,
        title="Bravo greeting",
        body=f"Hello from {world.client_b.name}, {{requester}}.",
    )


OBJECT_FACTORIES.update(
    {"servicedesk.ticket": _ticket_of_b, "servicedesk.cannedresponse": _canned_response_of_b}
)


# ---- Service desk: ticket pages (files, saved views, macros) ----------------------------


def _attachment_of_b(world: Any) -> models.Model:
    from steward.servicedesk.models import Attachment, Reply
    from steward.servicedesk.services import conversation

    # A file on client B's ticket whose name carries client B's name (stored by system code,
    # as the mail gateway does).
    ticket = _ticket_of_b(world)
    reply = Reply.unscoped.filter(ticket=ticket).order_by("id").first()
    upload = conversation.Upload(f"{world.client_b.name} contract.txt", b"bravo secret terms", "text/plain")
    conversation.store_attachment(ticket, reply, upload, None)
    return Attachment.unscoped.filter(ticket=ticket).order_by("-id").first()


def _saved_view_of_b(world: Any) -> models.Model:
    from steward.servicedesk.models import SavedView

    # Saved views belong to a person: the provider admin's private view filtered on client B.
    return SavedView.objects.create(
        provider=world.provider,
        owner=world.users["provider_admin"],
        name=f"{world.client_b.name} escalations",
        query={"client": str(world.client_b.pk)},
    )


def _macro_of_provider(world: Any) -> models.Model:
    from steward.servicedesk.models import Macro

    # Macros are provider-level configuration: only servicedesk.configure may touch them.
    return Macro.objects.create(provider=world.provider, name="Escalate", actions={"priority": "p2"})


OBJECT_FACTORIES.update(
    {
        "servicedesk.attachment": _attachment_of_b,
        "servicedesk.savedview": _saved_view_of_b,
        "servicedesk.macro": _macro_of_provider,
    }
)
