"""How tickets relate: merge, split, parent/child, and links ("relates to", "blocks"…)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.core.scoping import Scope
from steward.servicedesk.models import (
    Attachment,
    Reply,
    Ticket,
    TicketEvent,
    TicketRelation,
    TicketStatus,
    TimeEntry,
)
from steward.servicedesk.services.tickets import (
    after_change,
    get_ticket,
    log_event,
    require_staff,
)


def _same_client(a: Ticket, b: Ticket) -> None:
    if a.pk == b.pk:
        raise ValidationError({"target": "A ticket cannot be linked to itself."})
    if a.client_id != b.client_id:
        raise ValidationError({"target": "Both tickets must belong to the same client."})


def _rebuild_search(ticket: Ticket) -> None:
    from steward.servicedesk.services.conversation import SEARCH_TEXT_LIMIT

    public = [ticket.subject]
    internal: list[str] = []
    for visibility, text in Reply.unscoped.filter(ticket=ticket).values_list("visibility", "body_text"):
        (internal if visibility == Reply.Visibility.INTERNAL else public).append(text)
    ticket.search_public = "\n".join(public)[:SEARCH_TEXT_LIMIT]
    ticket.search_internal = "\n".join(internal)[:SEARCH_TEXT_LIMIT]


@transaction.atomic
def merge(scope: Scope, source: Ticket, target: Ticket) -> Ticket:
    """Merge ``source`` into ``target``: replies, files, time, watchers and devices move over.

    The source keeps its number and says where it went (mail threaded to it follows), its SLA
    targets end as cancelled; the target keeps its own SLA clock.
    """
    require_staff(scope)
    scope.require("tickets.manage")
    _same_client(source, target)
    if source.status == TicketStatus.MERGED:
        raise ValidationError({"target": f"T-{source.pk} is already merged into T-{source.merged_into_id}."})
    if target.status == TicketStatus.MERGED:
        raise ValidationError({"target": f"T-{target.pk} was itself merged into T-{target.merged_into_id}."})
    now = timezone.now()
    Reply.unscoped.filter(ticket=source).update(ticket=target)
    Attachment.unscoped.filter(ticket=source).update(ticket=target)
    TimeEntry.unscoped.filter(ticket=source).update(ticket=target)
    target.watchers.add(*source.watchers.all())
    target.devices.add(*source.devices.all())
    target.tags.add(*source.tags.all())
    Ticket.unscoped.filter(parent=source).update(parent=target)
    Ticket.unscoped.filter(merged_into=source).update(merged_into=target)
    extra_cc = [address for address in source.cc_emails if address not in target.cc_emails]
    if source.requester_email and source.requester_email != target.requester_email:
        extra_cc.append(source.requester_email)
    target.cc_emails = list(dict.fromkeys([*target.cc_emails, *extra_cc]))[:50]
    _rebuild_search(target)
    target.save()
    Reply.objects.create(
        ticket=target,
        visibility=Reply.Visibility.INTERNAL,
        author_user=scope.user,
        author_name=scope.user.full_name if scope.user else "Steward",
        body_text=f"T-{source.pk} ({source.subject}) was merged into this ticket.",
        created_at=now,
    )
    source.status = TicketStatus.MERGED
    source.merged_into = target
    source.resolved_at = source.resolved_at or now
    source.search_public = source.subject
    source.search_internal = ""
    source.save()
    log_event(source, TicketEvent.Kind.MERGED, actor=scope.user, at=now, detail=f"Merged into T-{target.pk}")
    log_event(target, TicketEvent.Kind.NOTE, actor=scope.user, at=now, detail=f"T-{source.pk} merged in")
    after_change(source)
    after_change(target)
    return target


@transaction.atomic
def split(scope: Scope, ticket: Ticket, reply_ids: Iterable[Any], subject: str) -> Ticket:
    """Move some replies of ``ticket`` to a new ticket of the same client, linked to it."""
    from steward.servicedesk.services.tickets import open_ticket

    require_staff(scope)
    scope.require("tickets.manage")
    ids = set()
    for value in reply_ids:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            raise ValidationError({"replies": "Reply ids are numbers."}) from None
    replies = list(Reply.unscoped.filter(ticket=ticket, pk__in=ids).order_by("created_at", "id"))
    if not replies or len(replies) != len(ids):
        raise ValidationError({"replies": "Choose replies of this ticket to split off."})
    first_reply = Reply.unscoped.filter(ticket=ticket).order_by("created_at", "id").first()
    if first_reply is not None and len(replies) == Reply.unscoped.filter(ticket=ticket).count():
        raise ValidationError({"replies": "Leave at least one reply on the original ticket."})
    new_ticket = open_ticket(
        scope,
        client_id=ticket.client_id,
        site_id=ticket.site_id,
        subject=subject or f"Split from T-{ticket.pk}: {ticket.subject}"[:255],
        body=f"Split from T-{ticket.pk}.",
        ticket_type=ticket.ticket_type,
        impact=ticket.impact,
        urgency=ticket.urgency,
        queue_id=ticket.queue_id,
        requester_user=ticket.requester_user,
        requester_contact=ticket.requester_contact,
        requester_email=ticket.requester_email,
        requester_name=ticket.requester_name,
    )
    Reply.unscoped.filter(pk__in=[reply.pk for reply in replies]).update(ticket=new_ticket)
    Attachment.unscoped.filter(reply__in=replies).update(ticket=new_ticket)
    TicketRelation.unscoped.create(source=new_ticket, target=ticket, kind=TicketRelation.Kind.RELATES)
    for changed in (ticket, new_ticket):
        _rebuild_search(changed)
        changed.save()
    return new_ticket


def link(scope: Scope, source: Ticket, target_id: Any, kind: str) -> TicketRelation:
    require_staff(scope)
    if kind not in TicketRelation.Kind.values:
        raise ValidationError({"kind": f"Link kinds: {', '.join(TicketRelation.Kind.values)}."})
    target = get_ticket(scope, target_id)
    _same_client(source, target)
    relation, _ = TicketRelation.unscoped.get_or_create(source=source, target=target, kind=kind)
    return relation


def unlink(scope: Scope, source: Ticket, relation_id: Any) -> None:
    require_staff(scope)
    TicketRelation.unscoped.filter(pk=relation_id, source=source).delete()
    TicketRelation.unscoped.filter(pk=relation_id, target=source).delete()


def set_parent(scope: Scope, child: Ticket, parent_id: Any) -> Ticket:
    require_staff(scope)
    if parent_id in (None, ""):
        child.parent = None
        child.save()
        return child
    parent = get_ticket(scope, parent_id)
    _same_client(child, parent)
    ancestor: Ticket | None = parent
    while ancestor is not None:
        if ancestor.pk == child.pk:
            raise ValidationError({"parent": "That would make the ticket its own ancestor."})
        ancestor = ancestor.parent
    child.parent = parent
    child.save()
    return child


def relations_of(scope: Scope, ticket: Ticket) -> list[tuple[str, TicketRelation, Ticket]]:
    """(label, relation, other ticket) for every link of a ticket, both directions."""
    rows: list[tuple[str, TicketRelation, Ticket]] = []
    scoped = TicketRelation.objects.for_scope(scope).select_related("source", "target")
    for relation in scoped.filter(source=ticket):
        rows.append((relation.get_kind_display(), relation, relation.target))
    inverse = {
        "blocks": "Blocked by",
        "duplicates": "Duplicated by",
        "caused_by": "Caused",
        "relates": "Relates to",
    }
    for relation in scoped.filter(target=ticket):
        rows.append((inverse[relation.kind], relation, relation.source))
    return rows
