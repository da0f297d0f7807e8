"""SLA policies: targets per metric, priority and ticket type; the calendar rule.

A policy holds, for each metric (first response, next update, resolution) and priority
(p1-p4), a target in business minutes, optionally replaced per ticket type. Which statuses
pause the clock, which count as resolved, and which priorities run 24/7 are part of the
policy too; the calendar is chosen by the service desk (see ``choose_calendar``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from steward.servicedesk.sla.errors import SlaConfigError

METRICS = ("first_response", "next_update", "resolution")
PRIORITIES = ("p1", "p2", "p3", "p4")
TICKET_TYPES = ("incident", "service_request", "problem", "change", "proactive", "project_task")
DEFAULT_PAUSE_STATUSES = frozenset({"waiting_on_customer", "waiting_on_third_party"})
DEFAULT_RESOLVED_STATUSES = frozenset({"resolved", "closed"})
DEFAULT_MERGED_STATUS = "merged"
MAX_TARGET_MINUTES = 366 * 24 * 60  # a year of 24/7 time: anything longer is a typo
STATUS_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# metric -> priority -> minutes; ``None`` in an override removes the target for that type.
Targets = Mapping[str, Mapping[str, int | None]]
# (target, warn threshold) in business seconds for one metric; None: no target / no warning.
Goal = tuple[int | None, int | None]
_NO_GOALS: tuple[Goal, Goal, Goal] = ((None, None), (None, None), (None, None))


@dataclass(frozen=True)
class SlaPolicy:
    """One SLA. ``targets[metric][priority]`` in business minutes; ``overrides[ticket_type]``
    replaces single entries for one ticket type (``None``: no target for that type).

    Warnings: ``warn_percent`` (warn once that share of the target is used) or
    ``warn_before_minutes`` (warn when that much business time is left), or neither.
    ``calendar`` is the name of the calendar the policy asks for ("" = the site's or
    client's); ``compute()`` takes the calendar as an argument and does not read it.
    """

    name: str
    targets: Targets
    overrides: Mapping[str, Targets] = field(default_factory=dict)
    pause_statuses: frozenset[str] = DEFAULT_PAUSE_STATUSES
    resolved_statuses: frozenset[str] = DEFAULT_RESOLVED_STATUSES
    merged_status: str = DEFAULT_MERGED_STATUS
    always_open_priorities: frozenset[str] = frozenset()
    warn_percent: int | None = 80
    warn_before_minutes: int | None = None
    calendar: str = ""
    description: str = ""
    _seconds: dict[tuple[str, str, str], int | None] = field(init=False, repr=False, compare=False)
    _goals: dict[tuple[str, str], tuple[Goal, Goal, Goal]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        init = object.__setattr__
        init(self, "targets", _frozen_targets(self.targets, "targets", allow_none=False))
        overrides = {}
        for ticket_type, targets in self.overrides.items():
            if ticket_type not in TICKET_TYPES:
                raise SlaConfigError(
                    f"overrides: unknown ticket type {ticket_type!r} (one of {', '.join(TICKET_TYPES)})"
                )
            overrides[ticket_type] = _frozen_targets(targets, f"overrides.{ticket_type}", allow_none=True)
        init(self, "overrides", MappingProxyType(overrides))
        for label in ("pause_statuses", "resolved_statuses", "always_open_priorities"):
            init(self, label, frozenset(getattr(self, label)))
        for status in sorted(self.pause_statuses | self.resolved_statuses | {self.merged_status}):
            if not isinstance(status, str) or not STATUS_NAME.match(status):
                raise SlaConfigError(f"status {status!r}: use lower-case letters, digits and _")
        both = self.pause_statuses & self.resolved_statuses
        if both:
            raise SlaConfigError(f"pause_statuses: {sorted(both)[0]!r} is also a resolved status")
        if self.merged_status in self.pause_statuses | self.resolved_statuses:
            raise SlaConfigError(f"merged_status: {self.merged_status!r} is also a pause or resolved status")
        if not self.resolved_statuses:
            raise SlaConfigError("resolved_statuses: at least one status must count as resolved")
        for priority in sorted(self.always_open_priorities):
            _check_priority(priority, "always_open_priorities")
        if self.warn_percent is not None and self.warn_before_minutes is not None:
            raise SlaConfigError("warn_at and warn_before: give one of them, not both")
        if self.warn_percent is not None and not 1 <= self.warn_percent <= 99:
            raise SlaConfigError(f"warn_at: {self.warn_percent}% must be between 1% and 99%")
        if self.warn_before_minutes is not None and not 1 <= self.warn_before_minutes <= MAX_TARGET_MINUTES:
            raise SlaConfigError("warn_before: must be a positive duration")
        init(self, "_seconds", self._seconds_table())
        goals = {}
        for priority in PRIORITIES:
            for ticket_type in TICKET_TYPES:
                seconds = [self._seconds[metric, priority, ticket_type] for metric in METRICS]
                first, second, third = (
                    (None, None) if target is None else (target, self.warn_threshold(target))
                    for target in seconds
                )
                goals[priority, ticket_type] = (first, second, third)
        init(self, "_goals", goals)

    def _seconds_table(self) -> dict[tuple[str, str, str], int | None]:
        table: dict[tuple[str, str, str], int | None] = {}
        for metric in METRICS:
            for priority in PRIORITIES:
                base = self.targets.get(metric, {}).get(priority)
                for ticket_type in TICKET_TYPES:
                    override = self.overrides.get(ticket_type, {}).get(metric, {})
                    minutes = override.get(priority, base)
                    table[metric, priority, ticket_type] = None if minutes is None else minutes * 60
        return table

    def target_minutes(self, metric: str, priority: str, ticket_type: str = "incident") -> int | None:
        """The target for a ticket with this priority and type, or None (no target)."""
        seconds = self.target_seconds(metric, priority, ticket_type)
        return None if seconds is None else seconds // 60

    def target_seconds(self, metric: str, priority: str | None, ticket_type: str | None) -> int | None:
        return self._seconds.get((metric, priority or "", ticket_type or "incident"))

    def goals(self, priority: str | None, ticket_type: str | None) -> tuple[Goal, Goal, Goal]:
        """(target, warn threshold) seconds for each of METRICS; no target for unknown keys."""
        return self._goals.get((priority or "", ticket_type or "incident"), _NO_GOALS)

    def warn_threshold(self, target_seconds: int) -> int | None:
        """Business seconds used at which a target of ``target_seconds`` warns (None: never)."""
        if self.warn_percent is not None:
            return target_seconds * self.warn_percent // 100
        if self.warn_before_minutes is not None:
            return max(0, target_seconds - self.warn_before_minutes * 60)
        return None


def _frozen_targets(targets: Targets, where: str, *, allow_none: bool) -> Targets:
    result = {}
    for metric, by_priority in targets.items():
        if metric not in METRICS:
            raise SlaConfigError(f"{where}: unknown metric {metric!r} (one of {', '.join(METRICS)})")
        checked: dict[str, int | None] = {}
        for priority, minutes in by_priority.items():
            _check_priority(priority, f"{where}.{metric}")
            if minutes is None and allow_none:
                checked[priority] = None
                continue
            if isinstance(minutes, bool) or not isinstance(minutes, int):
                raise SlaConfigError(f"{where}.{metric}.{priority}: expected whole minutes, got {minutes!r}")
            if minutes <= 0:
                raise SlaConfigError(f"{where}.{metric}.{priority}: the target must be positive")
            if minutes > MAX_TARGET_MINUTES:
                raise SlaConfigError(f"{where}.{metric}.{priority}: {minutes} minutes is longer than a year")
            checked[priority] = minutes
        result[metric] = MappingProxyType(checked)
    return MappingProxyType(result)


def _check_priority(priority: object, where: str) -> None:
    if priority not in PRIORITIES:
        raise SlaConfigError(f"{where}: unknown priority {priority!r} (one of {', '.join(PRIORITIES)})")


# --- which calendar applies ---------------------------------------------------------------

T = TypeVar("T")


def choose_calendar(
    policy_calendar: T | None, site_calendar: T | None, client_calendar: T | None, default: T | None
) -> T | None:
    """The calendar a ticket's clock uses: the one the SLA names (e.g. a 24/7 premium SLA),
    else the site's, else the client's, else the provider's default."""
    for calendar in (policy_calendar, site_calendar, client_calendar):
        if calendar is not None:
            return calendar
    return default
