"""Apply the SLA engine (``steward.servicedesk.sla``) to tickets and cache its results.

Which SLA a ticket gets, most specific first: the ticket's own (a contract or a technician
set it), the site's service profile, the client's, the provider's default policy. Its clock
runs on the calendar the SLA names, else the site's, else the client's, else the provider's
default calendar, else around the clock in UTC. The engine replays the ticket's event log,
so a changed SLA or calendar is applied exactly by recomputing (:func:`recompute`): waiting
time is never lost.

The outcome is cached on the ticket: ``sla_state`` (every target), ``sla_due_at`` (the
earliest due time of a running target), ``sla_warn_at`` (the next instant the state changes
by itself, which the sweep job watches), ``sla_breached`` and ``sla_paused``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from steward.servicedesk import sla as engine
from steward.servicedesk.models import (
    BusinessCalendar,
    ServiceProfile,
    SlaAlert,
    SlaPolicy,
    Ticket,
    TicketEvent,
)

OPEN_TARGET_STATES = frozenset({"running", "paused", "breached"})
ALWAYS_OPEN_UTC: dict[str, Any] = {"name": "24/7 (UTC)", "timezone": "UTC", "always_open": True}


@dataclass(frozen=True)
class Applied:
    """The SLA and calendar a ticket gets, and why."""

    policy: SlaPolicy
    policy_spec: engine.SlaPolicy
    calendar_name: str
    calendar_spec: engine.BusinessCalendar
    source: str  # "ticket", "site", "client" or "default"


class _Specs:
    """Parsed policies and calendars by id, checked against ``updated_at`` so edits apply."""

    def __init__(self) -> None:
        self.policies: dict[int, tuple[dt.datetime, engine.SlaPolicy]] = {}
        self.calendars: dict[int, tuple[dt.datetime, engine.BusinessCalendar]] = {}
        self.fallback = engine.parse_calendar(ALWAYS_OPEN_UTC)

    def policy(self, row: SlaPolicy) -> engine.SlaPolicy:
        cached = self.policies.get(row.pk)
        if cached is None or cached[0] != row.updated_at:
            cached = (row.updated_at, engine.parse_policy({"name": row.name, **row.definition}))
            self.policies[row.pk] = cached
        return cached[1]

    def calendar(self, row: BusinessCalendar | None) -> engine.BusinessCalendar:
        if row is None:
            return self.fallback
        cached = self.calendars.get(row.pk)
        if cached is None or cached[0] != row.updated_at:
            cached = (row.updated_at, engine.parse_calendar({"name": row.name, **row.definition}))
            self.calendars[row.pk] = cached
        return cached[1]


SPECS = _Specs()


class _Resolver:
    """Answers "which SLA and calendar?" for many tickets with a handful of queries."""

    def __init__(self, provider_ids: Iterable[int], client_ids: Iterable[int]) -> None:
        providers = set(provider_ids)
        self.policies = {p.pk: p for p in SlaPolicy.objects.filter(provider_id__in=providers)}
        self.calendars = {c.pk: c for c in BusinessCalendar.objects.filter(provider_id__in=providers)}
        self.default_policy: dict[int, SlaPolicy] = {}
        for policy in sorted(self.policies.values(), key=lambda p: p.pk):
            if policy.is_default:
                self.default_policy.setdefault(policy.provider_id, policy)
        self.default_calendar: dict[int, BusinessCalendar] = {}
        for calendar in sorted(self.calendars.values(), key=lambda c: c.pk):
            if calendar.is_default:
                self.default_calendar.setdefault(calendar.provider_id, calendar)
        self.profiles: dict[tuple[int, int | None], ServiceProfile] = {
            (p.client_id, p.site_id): p for p in ServiceProfile.objects.filter(client_id__in=set(client_ids))
        }

    def resolve(
        self, provider_id: int, client_id: int, site_id: int | None, policy_id: int | None
    ) -> Applied | None:
        site_profile = self.profiles.get((client_id, site_id)) if site_id else None
        client_profile = self.profiles.get((client_id, None))
        policy: SlaPolicy | None = None
        source = ""
        for candidate, label in (
            (self.policies.get(policy_id) if policy_id else None, "ticket"),
            (
                self.policies.get(site_profile.sla_policy_id)
                if site_profile and site_profile.sla_policy_id
                else None,
                "site",
            ),
            (
                self.policies.get(client_profile.sla_policy_id)
                if client_profile and client_profile.sla_policy_id
                else None,
                "client",
            ),
            (self.default_policy.get(provider_id), "default"),
        ):
            if candidate is not None:
                policy, source = candidate, label
                break
        if policy is None:
            return None
        calendar = engine.choose_calendar(
            self.calendars.get(policy.calendar_id) if policy.calendar_id else None,
            self.calendars.get(site_profile.calendar_id)
            if site_profile and site_profile.calendar_id
            else None,
            self.calendars.get(client_profile.calendar_id)
            if client_profile and client_profile.calendar_id
            else None,
            self.default_calendar.get(provider_id),
        )
        return Applied(
            policy=policy,
            policy_spec=SPECS.policy(policy),
            calendar_name=calendar.name if calendar else ALWAYS_OPEN_UTC["name"],
            calendar_spec=SPECS.calendar(calendar),
            source=source,
        )


def to_engine_event(
    kind: str, at: dt.datetime, status: str, priority: str, ticket_type: str
) -> engine.TicketEvent | None:
    """The engine's view of a logged event (assignments and notes don't move SLA clocks)."""
    if kind == "created":
        return engine.TicketEvent(
            at, kind, status=status or "new", priority=priority, ticket_type=ticket_type
        )
    if kind == "status":
        return engine.TicketEvent(at, kind, status=status)
    if kind == "priority":
        return engine.TicketEvent(at, kind, priority=priority)
    if kind == "type":
        return engine.TicketEvent(at, kind, ticket_type=ticket_type)
    if kind in ("agent_reply", "customer_reply", "merged"):
        return engine.TicketEvent(at, kind)
    return None


EVENT_COLUMNS = ("ticket_id", "at", "kind", "status", "priority", "ticket_type")


def _events_by_ticket(ticket_ids: list[int]) -> dict[int, list[engine.TicketEvent]]:
    grouped: dict[int, list[engine.TicketEvent]] = defaultdict(list)
    rows = (
        TicketEvent.unscoped.filter(ticket_id__in=ticket_ids)
        .order_by("ticket_id", "at", "id")
        .values_list(*EVENT_COLUMNS)
    )
    for ticket_id, at, kind, status, priority, ticket_type in rows:
        event = to_engine_event(kind, at, status, priority, ticket_type)
        if event is not None:
            grouped[ticket_id].append(event)
    return grouped


@dataclass(frozen=True)
class CachedSla:
    state: dict[str, Any]
    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    breached: bool
    paused: bool


def _resolved(resolver: _Resolver, *key: Any) -> Applied | str | None:
    """The applicable SLA, or the reason a stored SLA or calendar cannot be used."""
    try:
        return resolver.resolve(*key)
    except engine.SlaConfigError as exc:
        return f"The SLA configuration is invalid: {exc}"


def _cache_of(applied: Applied | str | None, events: list[engine.TicketEvent], now: dt.datetime) -> CachedSla:
    if isinstance(applied, str):
        return CachedSla({"error": applied}, None, None, False, False)
    if applied is None or not events:
        return CachedSla({}, None, None, False, False)
    outcome = engine.compute(events, applied.policy_spec, applied.calendar_spec, now)
    due = [t.due_ts for t in outcome.targets if t.state in OPEN_TARGET_STATES and t.due_ts is not None]
    state = {
        "policy": applied.policy.name,
        "policy_id": applied.policy.pk,
        "calendar": applied.calendar_name,
        "timezone": applied.calendar_spec.timezone,
        "source": applied.source,
        "now": _iso(outcome.now_ts),
        "paused": outcome.paused,
        "next_deadline": _iso(outcome.next_deadline_ts),
        "targets": [_target_dict(target) for target in outcome.targets],
    }
    return CachedSla(
        state=state,
        due_at=_aware(min(due)) if due else None,
        warn_at=outcome.next_deadline,
        breached=outcome.breached,
        paused=outcome.paused,
    )


def _iso(ts: int | None) -> str | None:
    # time.strftime on a struct is several times cheaper than formatting a datetime.
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _aware(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def _target_dict(target: engine.TargetResult) -> dict[str, Any]:
    return {
        "metric": target.metric,
        "priority": target.priority,
        "target_minutes": target.target_minutes,
        "due_at": _iso(target.due_ts),
        "business_minutes_used": target.business_seconds_used // 60,
        "state": target.state,
        "breached": target.breached,
        "met_at": _iso(target.met_ts),
        "breached_at": _iso(target.breached_ts),
        "warn_at": _iso(target.warn_ts),
        "breaches": target.breaches,
    }


def applied_for(ticket: Ticket) -> Applied | str | None:
    provider_id = Ticket.unscoped.filter(pk=ticket.pk).values_list("client__provider_id", flat=True).first()
    if provider_id is None:
        return None
    resolver = _Resolver([provider_id], [ticket.client_id])
    return _resolved(resolver, provider_id, ticket.client_id, ticket.site_id, ticket.sla_policy_id)


def refresh(ticket: Ticket, now: dt.datetime | None = None) -> CachedSla:
    """Recompute one ticket (after each change of it), store the cached columns and record
    a breach the change itself caused (e.g. a priority raised past its target)."""
    moment = now or timezone.now()
    cached = _cache_of(applied_for(ticket), _events_by_ticket([ticket.pk]).get(ticket.pk, []), moment)
    computed_at = timezone.now()
    Ticket.unscoped.filter(pk=ticket.pk).update(
        sla_state=cached.state,
        sla_due_at=cached.due_at,
        sla_warn_at=cached.warn_at,
        sla_breached=cached.breached,
        sla_paused=cached.paused,
        sla_computed_at=computed_at,
    )
    ticket.sla_state = cached.state
    ticket.sla_due_at = cached.due_at
    ticket.sla_warn_at = cached.warn_at
    ticket.sla_breached = cached.breached
    ticket.sla_paused = cached.paused
    ticket.sla_computed_at = computed_at
    announcements = record_alerts(ticket.pk, cached.state, moment)
    if announcements:
        transaction.on_commit(lambda: _announce(announcements))
    return cached


def _announce(announcements: list[Announcement]) -> None:
    from steward.servicedesk import tasks
    from steward.servicedesk.services.notifications import is_muted

    if is_muted():
        return

    for item in announcements:
        tasks.notify_sla_alert(item.ticket_id, item.metric, item.kind)


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def recompute(ticket_ids: Iterable[int], *, now: dt.datetime | None = None, batch: int = 2000) -> int:
    """Recompute many tickets from their event logs (after an SLA or calendar change)."""
    moment = now or timezone.now()
    ids = sorted(set(ticket_ids))
    ops = connection.ops
    json_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"UPDATE servicedesk_ticket SET sla_state = {json_param}, sla_due_at = %s, sla_warn_at = %s,"  # noqa: S608
        " sla_breached = %s, sla_paused = %s, sla_computed_at = %s WHERE id = %s"
    )
    done = 0
    for chunk in _chunks(ids, batch):
        rows = list(
            Ticket.unscoped.filter(pk__in=chunk).values_list(
                "pk", "client__provider_id", "client_id", "site_id", "sla_policy_id"
            )
        )
        resolver = _Resolver({row[1] for row in rows}, {row[2] for row in rows})
        events = _events_by_ticket(chunk)
        computed_at = ops.adapt_datetimefield_value(timezone.now())
        params = []
        for pk, provider_id, client_id, site_id, policy_id in rows:
            cached = _cache_of(
                _resolved(resolver, provider_id, client_id, site_id, policy_id), events.get(pk, []), moment
            )
            params.append(
                (
                    json.dumps(cached.state),
                    ops.adapt_datetimefield_value(cached.due_at),
                    ops.adapt_datetimefield_value(cached.warn_at),
                    cached.breached,
                    cached.paused,
                    computed_at,
                    pk,
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, params)
        done += len(params)
    return done


def tickets_using(
    policy: SlaPolicy | None = None, calendar: BusinessCalendar | None = None, client_id: int | None = None
) -> list[int]:
    """Open tickets whose SLA state may change when ``policy``, ``calendar`` or a client's
    service profile changes."""
    from steward.servicedesk.models import OPEN_STATUSES

    queryset = Ticket.unscoped.filter(status__in=list(OPEN_STATUSES))
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    else:
        provider_id = policy.provider_id if policy else calendar.provider_id if calendar else None
        queryset = queryset.filter(client__provider_id=provider_id)
    return list(queryset.values_list("pk", flat=True))


# --- warnings and escalations ----------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    ticket_id: int
    metric: str
    kind: str  # "warning" or "breach"
    due_at: dt.datetime


def sweep(now: dt.datetime | None = None, limit: int = 5000) -> list[Announcement]:
    """Tickets whose SLA state changed by the passage of time: recompute them and record
    each new warning or breach once (the caller notifies people)."""
    moment = now or timezone.now()
    due = list(
        Ticket.unscoped.filter(sla_warn_at__lte=moment)
        .order_by("sla_warn_at")
        .values_list("pk", flat=True)[:limit]
    )
    if due:
        recompute(due, now=moment)
    announced: list[Announcement] = []
    candidates = Ticket.unscoped.filter(pk__in=due) if due else Ticket.unscoped.none()
    for ticket_id, state in candidates.values_list("pk", "sla_state"):
        announced.extend(record_alerts(ticket_id, state, moment))
    return announced


def record_alerts(ticket_id: int, state: dict[str, Any], now: dt.datetime) -> list[Announcement]:
    """Record each warning or breach in ``state`` that was not announced before."""
    announced = []
    for target in (state or {}).get("targets", []):
        kind = _alert_kind(target, now)
        if kind is None:
            continue
        due_at = dt.datetime.fromisoformat(target["due_at"])
        _, created = SlaAlert.unscoped.get_or_create(
            ticket_id=ticket_id, metric=target["metric"], kind=kind, due_at=due_at
        )
        if created:
            announced.append(Announcement(ticket_id, target["metric"], kind, due_at))
    return announced


def _alert_kind(target: dict[str, Any], now: dt.datetime) -> str | None:
    if not target.get("due_at") or target.get("state") not in ("running", "paused", "breached"):
        return None
    if target.get("breached"):
        return SlaAlert.Kind.BREACH
    warn_at = target.get("warn_at")
    if warn_at and dt.datetime.fromisoformat(warn_at) <= now:
        return SlaAlert.Kind.WARNING
    return None
