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
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from steward.core.models import Client
from steward.servicedesk import sla as engine
from steward.servicedesk.models import (
    BusinessCalendar,
    ServiceProfile,
    SlaAlert,
    SlaPolicy,
    Ticket,
    TicketEvent,
)
from steward.servicedesk.sla.calendar import to_epoch

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


ENGINE_EVENT_KINDS = engine.EVENT_KINDS  # assignments, notes… don't move SLA clocks


def _epoch_sql(column: str) -> str:
    """SQL for a datetime column as whole epoch seconds, floored like the engine's."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"  # stored as UTC text; %s drops the fraction


def _in_list(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _events_by_ticket(ticket_ids: list[int]) -> dict[int, list[engine.EventRow]]:
    """Each ticket's SLA-relevant log as the engine's plain rows, in order.

    Raw SQL and no per-event objects: building them was a third of a bulk recompute."""
    grouped: dict[int, list[engine.EventRow]] = defaultdict(list)
    if not ticket_ids:
        return grouped
    sql = (
        f"SELECT ticket_id, {_epoch_sql('at')}, kind, status, priority, ticket_type"  # noqa: S608
        f" FROM {TicketEvent._meta.db_table}"
        f" WHERE ticket_id IN ({_in_list(ticket_ids)}) AND kind IN ({_in_list(list(ENGINE_EVENT_KINDS))})"
        " ORDER BY ticket_id, at, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ticket_ids, *ENGINE_EVENT_KINDS])
        for ticket_id, *row in cursor.fetchall():
            grouped[ticket_id].append(tuple(row))
    return grouped


@dataclass(frozen=True)
class CachedSla:
    state: dict[str, Any]
    due_ts: int | None  # epoch seconds
    warn_ts: int | None
    breached: bool
    paused: bool

    @property
    def due_at(self) -> dt.datetime | None:
        return None if self.due_ts is None else _aware(self.due_ts)

    @property
    def warn_at(self) -> dt.datetime | None:
        return None if self.warn_ts is None else _aware(self.warn_ts)


def _resolved(resolver: _Resolver, *key: Any) -> Applied | str | None:
    """The applicable SLA, or the reason a stored SLA or calendar cannot be used."""
    try:
        return resolver.resolve(*key)
    except engine.SlaConfigError as exc:
        return f"The SLA configuration is invalid: {exc}"


def _cache_of(applied: Applied | str | None, events: list[engine.EventRow], now_ts: int) -> CachedSla:
    if isinstance(applied, str):
        return CachedSla({"error": applied}, None, None, False, False)
    if applied is None or not events:
        return CachedSla({}, None, None, False, False)
    outcome = engine.compute_rows(events, applied.policy_spec, applied.calendar_spec, now_ts)
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
        due_ts=min(due) if due else None,
        warn_ts=outcome.next_deadline_ts,
        breached=outcome.breached,
        paused=outcome.paused,
    )


def _iso(ts: int | None) -> str | None:
    """``ts`` as ``2026-11-21T09:30:00Z``: a bulk recompute formats over a million of these, and
    looking the parts up is several times cheaper than any strftime or isoformat."""
    if ts is None:
        return None
    day, second = divmod(ts, 86400)
    date = _ISO_DATES.get(day)
    if date is None:
        if len(_ISO_DATES) > 100_000:
            _ISO_DATES.clear()
        date = _ISO_DATES[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
    minute, second = divmod(second, 60)
    return date + _ISO_MINUTES[minute] + _ISO_SECONDS[second]


_ISO_DATES: dict[int, str] = {}
_ISO_MINUTES = [f"{minute // 60:02}:{minute % 60:02}:" for minute in range(1440)]
_ISO_SECONDS = [f"{second:02}Z" for second in range(60)]


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
    events = _events_by_ticket([ticket.pk]).get(ticket.pk, [])
    cached = _cache_of(applied_for(ticket), events, to_epoch(moment))
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


def recompute(ticket_ids: Iterable[int], *, now: dt.datetime | None = None, batch: int = 5000) -> int:
    """Recompute many tickets from their event logs (after an SLA or calendar change)."""
    now_ts = to_epoch(now or timezone.now())
    done = 0
    for chunk in _chunks(sorted(set(ticket_ids)), batch):
        updates = _compute(_read(chunk), now_ts)
        _store(updates)
        done += len(updates)
    return done


@dataclass(frozen=True)
class _Batch:
    tickets: list[tuple[int, int, int, int | None, int | None]]
    events: dict[int, list[engine.EventRow]]
    resolver: _Resolver


def _read(chunk: list[int]) -> _Batch:
    tickets = _ticket_keys(chunk)
    resolver = _Resolver({row[1] for row in tickets}, {row[2] for row in tickets})
    return _Batch(tickets, _events_by_ticket(chunk), resolver)


def _compute(batch: _Batch, now_ts: int) -> list[tuple[int, CachedSla]]:
    applied: dict[tuple[Any, ...], Applied | str | None] = {}
    updates = []
    for pk, *fields in batch.tickets:
        key = tuple(fields)  # tickets share a handful of SLA and calendar combinations
        if key not in applied:
            applied[key] = _resolved(batch.resolver, *key)
        updates.append((pk, _cache_of(applied[key], batch.events.get(pk, []), now_ts)))
    return updates


def _ticket_keys(ticket_ids: list[int]) -> list[tuple[int, int, int, int | None, int | None]]:
    """(id, provider, client, site, own SLA) of each ticket."""
    tickets, clients = Ticket._meta.db_table, Client._meta.db_table
    sql = (
        f"SELECT t.id, c.provider_id, t.client_id, t.site_id, t.sla_policy_id FROM {tickets} t"  # noqa: S608
        f" JOIN {clients} c ON c.id = t.client_id WHERE t.id IN ({_in_list(ticket_ids)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ticket_ids)
        return [tuple(row) for row in cursor.fetchall()]


def _store(updates: list[tuple[int, CachedSla]]) -> None:
    """Write the cached columns of many tickets: one statement per batch on PostgreSQL."""
    if not updates:
        return
    computed_at = timezone.now()
    table = Ticket._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS t SET sla_state = u.state, sla_due_at = u.due_at,"  # noqa: S608
                " sla_warn_at = u.warn_at, sla_breached = u.breached, sla_paused = u.paused,"
                " sla_computed_at = %s"
                " FROM unnest(%s::bigint[], %s::jsonb[], %s::timestamptz[], %s::timestamptz[],"
                " %s::boolean[], %s::boolean[]) AS u(id, state, due_at, warn_at, breached, paused)"
                " WHERE t.id = u.id",
                [
                    computed_at,
                    [pk for pk, _ in updates],
                    [_json(cached.state) for _, cached in updates],
                    [cached.due_at for _, cached in updates],
                    [cached.warn_at for _, cached in updates],
                    [cached.breached for _, cached in updates],
                    [cached.paused for _, cached in updates],
                ],
            )
            return
        stamp = connection.ops.adapt_datetimefield_value(computed_at)
        cursor.executemany(
            f"UPDATE {table} SET sla_state = %s, sla_due_at = %s, sla_warn_at = %s,"  # noqa: S608
            " sla_breached = %s, sla_paused = %s, sla_computed_at = %s WHERE id = %s",
            [
                (
                    _json(cached.state),
                    _sqlite_datetime(cached.due_ts),
                    _sqlite_datetime(cached.warn_ts),
                    cached.breached,
                    cached.paused,
                    stamp,
                    pk,
                )
                for pk, cached in updates
            ],
        )


def _sqlite_datetime(ts: int | None) -> str | None:
    """What Django stores for a whole-second UTC datetime on SQLite, e.g. ``2026-11-21 09:30:00``."""
    text = _iso(ts)
    return None if text is None else f"{text[:10]} {text[11:19]}"


def _json(state: dict[str, Any]) -> str:
    return orjson.dumps(state).decode()


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
