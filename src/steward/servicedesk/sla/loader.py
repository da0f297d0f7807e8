"""Calendars, SLA policies and event logs from plain dicts, YAML and JSON-lines files.

The dict shapes are the ones documented in ``docs/sla.md``; the service desk stores the
same shapes as JSON, so ``parse_*`` is the only validation there is. ``*_to_dict`` gives
the normalised shape back (``parse_x(x_to_dict(v)) == v``). Every problem raises
``SlaConfigError`` with a message naming the field, e.g.
``hours.mon[1]: '13:00-12:00' ends before it starts``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from steward.servicedesk.sla.calendar import BusinessCalendar, Holiday, Period, load_zone
from steward.servicedesk.sla.errors import SlaConfigError
from steward.servicedesk.sla.events import EVENT_FIELDS, EVENT_KINDS, TicketEvent
from steward.servicedesk.sla.policy import (
    DEFAULT_MERGED_STATUS,
    DEFAULT_PAUSE_STATUSES,
    DEFAULT_RESOLVED_STATUSES,
    METRICS,
    PRIORITIES,
    STATUS_NAME,
    TICKET_TYPES,
    SlaPolicy,
)

MAX_YAML_BYTES = 1_000_000
MAX_EVENTS_BYTES = 20_000_000
MAX_EVENTS = 100_000
MAX_HOLIDAYS = 2_000
MAX_PERIODS_PER_DAY = 12
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_DURATION = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$")
_CALENDAR_KEYS = ("name", "description", "timezone", "hours", "holidays", "always_open")
_POLICY_KEYS = (
    "name",
    "description",
    "calendar",
    "pause_statuses",
    "resolved_statuses",
    "merged_status",
    "warn_at",
    "warn_before",
    "targets",
    "always_open_priorities",
    "overrides",
)
_EVENT_KEYS = ("at", "kind", "status", "priority", "ticket_type", "note")
T = TypeVar("T")
_EARLIEST = dt.datetime(1971, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


# --- durations -------------------------------------------------------------------------


def parse_duration(value: object, where: str) -> int:
    """Minutes from ``30m``, ``4h``, ``1h30m`` or a plain integer (minutes).

    Days are refused: "1d" could mean 24 hours or one business day of 8 hours, and the
    difference is a factor of three on an 8-hour calendar.
    """
    if isinstance(value, bool) or value is None:
        raise SlaConfigError(f"{where}: expected a duration such as '30m', '4h' or '1h30m', got {value!r}")
    if isinstance(value, int):
        minutes = value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text.lstrip("-").isdigit():
            minutes = int(text)
        elif re.search(r"\d\s*(d|w)", text):
            raise SlaConfigError(
                f"{where}: {value!r}: days are ambiguous (24 h or one business day?); write business "
                "hours instead, e.g. '24h' for three 8-hour business days"
            )
        elif text.startswith("-"):
            raise SlaConfigError(f"{where}: {value!r}: a duration cannot be negative")
        else:
            match = _DURATION.match(text)
            if not text or match is None or not any(match.groups()):
                raise SlaConfigError(
                    f"{where}: {value!r} is not a duration; "
                    "use minutes and hours such as '30m', '4h', '1h30m'"
                )
            minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
    else:
        raise SlaConfigError(f"{where}: expected a duration such as '30m' or '4h', got {value!r}")
    if minutes < 0:
        raise SlaConfigError(f"{where}: {value!r}: a duration cannot be negative")
    if minutes == 0:
        raise SlaConfigError(f"{where}: {value!r}: the duration must be positive")
    return minutes


def format_duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


# --- calendars ---------------------------------------------------------------------------


def parse_calendar(data: object) -> BusinessCalendar:
    """A calendar from its dict shape (``name``, ``timezone``, ``hours``, ``holidays``, or
    ``always_open: true``)."""
    data = _mapping(data, "calendar")
    _known_keys(data, _CALENDAR_KEYS, "")
    name = _text(data.get("name", ""), "name")
    always_open = data.get("always_open", False)
    if not isinstance(always_open, bool):
        raise SlaConfigError(f"always_open: expected true or false, got {always_open!r}")
    if always_open:
        for key in ("hours", "holidays"):
            if data.get(key):
                raise SlaConfigError(
                    f"{key}: not allowed with always_open: true (a 24/7 calendar is never closed)"
                )
        timezone = _text(data.get("timezone", "UTC"), "timezone")
        load_zone(timezone)
        return BusinessCalendar(timezone=timezone, always_open=True, name=name)
    if "timezone" not in data:
        raise SlaConfigError("timezone: required (an IANA name such as 'Europe/London')")
    timezone = _text(data["timezone"], "timezone")
    load_zone(timezone)
    if "hours" not in data:
        raise SlaConfigError("hours: required (e.g. mon-fri: ['09:00-17:00']), or set always_open: true")
    weekly = _parse_hours(data["hours"])
    holidays = _parse_holidays(data.get("holidays") or [])
    return BusinessCalendar(timezone=timezone, weekly=weekly, holidays=holidays, name=name)


def _parse_hours(value: object) -> tuple[tuple[Period, ...], ...]:
    hours = _mapping(value, "hours")
    days: list[tuple[Period, ...] | None] = [None] * 7
    given_as: list[str] = [""] * 7
    for key, spec in hours.items():
        for day in _day_keys(key):
            if days[day] is not None:
                raise SlaConfigError(f"hours: {DAYS[day]} is given twice (in {given_as[day]!r} and {key!r})")
            days[day] = _parse_periods(spec, f"hours.{key}")
            given_as[day] = str(key)
    weekly = tuple(periods or () for periods in days)
    if not any(weekly):
        raise SlaConfigError("hours: the calendar has no opening hours (or set always_open: true)")
    return weekly


def _day_keys(key: object) -> list[int]:
    text = str(key).strip().lower()
    parts = [part.strip() for part in text.split("-")]
    if len(parts) > 2 or not all(part in DAYS or part in _FULL_DAYS for part in parts):
        raise SlaConfigError(f"hours: {key!r} is not a day (mon … sun) or a range of days such as 'mon-fri'")
    indexes = [DAYS.index(part[:3]) for part in parts]
    if len(indexes) == 2 and indexes[1] < indexes[0]:
        raise SlaConfigError(f"hours: {key!r}: a range runs forwards from Monday (e.g. 'mon-fri')")
    return list(range(indexes[0], indexes[-1] + 1))


def _parse_periods(spec: object, where: str) -> tuple[Period, ...]:
    if spec is None or spec == "closed":
        return ()
    items = [spec] if isinstance(spec, str) else spec
    if not isinstance(items, list):
        raise SlaConfigError(f"{where}: expected a list of periods such as ['08:00-12:30', '13:30-17:30']")
    if len(items) > MAX_PERIODS_PER_DAY:
        raise SlaConfigError(f"{where}: at most {MAX_PERIODS_PER_DAY} periods a day")
    periods: list[tuple[Period, str]] = []
    for index, item in enumerate(items):
        periods.append((_parse_period(item, f"{where}[{index}]"), str(item)))
    periods.sort()
    for (previous, previous_text), (current, current_text) in itertools.pairwise(periods):
        if current[0] < previous[1]:
            raise SlaConfigError(f"{where}: {previous_text!r} and {current_text!r} overlap")
    return tuple(period for period, _label in periods)


def _parse_period(item: object, where: str) -> Period:
    match = _PERIOD.match(item) if isinstance(item, str) else None
    if match is None:
        raise SlaConfigError(f"{where}: {item!r} is not a period such as '08:00-17:30' (quote it in YAML)")
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise SlaConfigError(f"{where}: {item!r} has an impossible time (00:00 … 23:59, or 24:00 as an end)")
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if end < start:
        raise SlaConfigError(
            f"{where}: {item!r} ends before it starts; split overnight hours over two days "
            "(e.g. fri: ['22:00-24:00'], sat: ['00:00-06:00'])"
        )
    if end == start:
        raise SlaConfigError(f"{where}: {item!r} is empty")
    return start, end


def _parse_holidays(value: object) -> tuple[Holiday, ...]:
    if not isinstance(value, list):
        raise SlaConfigError("holidays: expected a list of {date, name, recurring}")
    if len(value) > MAX_HOLIDAYS:
        raise SlaConfigError(f"holidays: at most {MAX_HOLIDAYS} entries")
    holidays = []
    for index, item in enumerate(value):
        where = f"holidays[{index}]"
        if isinstance(item, Mapping):
            _known_keys(item, ("date", "name", "recurring"), where + ".")
            if "date" not in item:
                raise SlaConfigError(f"{where}.date: required")
            day = _date(item["date"], f"{where}.date")
            name = _text(item.get("name", ""), f"{where}.name")
            recurring = item.get("recurring", False)
            if not isinstance(recurring, bool):
                raise SlaConfigError(f"{where}.recurring: expected true or false, got {recurring!r}")
        else:
            day, name, recurring = _date(item, where), "", False
        holidays.append(Holiday(day, name, recurring))
    return tuple(holidays)


def calendar_to_dict(calendar: BusinessCalendar) -> dict[str, Any]:
    data: dict[str, Any] = {"name": calendar.name, "timezone": calendar.timezone}
    if calendar.always_open:
        data["always_open"] = True
        return data
    data["hours"] = {
        DAYS[day]: [f"{_hhmm(start)}-{_hhmm(end)}" for start, end in periods]
        for day, periods in enumerate(calendar.weekly)
        if periods
    }
    data["holidays"] = [
        {"date": holiday.date.isoformat(), "name": holiday.name, "recurring": holiday.recurring}
        for holiday in calendar.holidays
    ]
    return data


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- policies ----------------------------------------------------------------------------


def parse_policy(data: object) -> SlaPolicy:
    """An SLA policy from its dict shape (see docs/sla.md)."""
    data = _mapping(data, "sla")
    _known_keys(data, _POLICY_KEYS, "")
    if not data.get("name"):
        raise SlaConfigError("name: required")
    name = _text(data["name"], "name")
    if "targets" not in data:
        raise SlaConfigError("targets: required (e.g. resolution: {p1: 4h, p2: 8h})")
    targets = _parse_targets(data["targets"], "targets", allow_none=False)
    if not any(targets.values()):
        raise SlaConfigError("targets: give at least one target")
    overrides: dict[str, dict[str, dict[str, int | None]]] = {}
    raw_overrides = data.get("overrides") or []
    if not isinstance(raw_overrides, list):
        raise SlaConfigError("overrides: expected a list of {ticket_type, <metric>: {priority: duration}}")
    for index, item in enumerate(raw_overrides):
        where = f"overrides[{index}]"
        item = _mapping(item, where)
        _known_keys(item, ("ticket_type", *METRICS), where + ".")
        ticket_type = item.get("ticket_type")
        if ticket_type not in TICKET_TYPES:
            raise SlaConfigError(
                f"{where}.ticket_type: {ticket_type!r} is not one of {', '.join(TICKET_TYPES)}"
            )
        if ticket_type in overrides:
            raise SlaConfigError(f"{where}.ticket_type: {ticket_type!r} has two overrides")
        overrides[ticket_type] = _parse_targets(
            {key: value for key, value in item.items() if key != "ticket_type"}, where, allow_none=True
        )
    warn_percent, warn_before = _parse_warning(data)
    return SlaPolicy(
        name=name,
        description=_text(data.get("description", ""), "description"),
        calendar=_text(data.get("calendar") or "", "calendar"),
        targets=targets,
        overrides=overrides,
        pause_statuses=_statuses(data, "pause_statuses", DEFAULT_PAUSE_STATUSES),
        resolved_statuses=_statuses(data, "resolved_statuses", DEFAULT_RESOLVED_STATUSES),
        merged_status=_status(data.get("merged_status", DEFAULT_MERGED_STATUS), "merged_status"),
        always_open_priorities=_priorities(
            data.get("always_open_priorities") or [], "always_open_priorities"
        ),
        warn_percent=warn_percent,
        warn_before_minutes=warn_before,
    )


def _parse_targets(value: object, where: str, *, allow_none: bool) -> dict[str, dict[str, int | None]]:
    targets: dict[str, dict[str, int | None]] = {}
    for metric, by_priority in _mapping(value, where).items():
        if metric not in METRICS:
            raise SlaConfigError(f"{where}: unknown metric {metric!r} (one of {', '.join(METRICS)})")
        checked: dict[str, int | None] = {}
        for priority, duration in _mapping(by_priority, f"{where}.{metric}").items():
            if priority not in PRIORITIES:
                raise SlaConfigError(
                    f"{where}.{metric}: unknown priority {priority!r} (one of {', '.join(PRIORITIES)})"
                )
            if duration is None and allow_none:
                checked[priority] = None  # this ticket type has no such target
            else:
                checked[priority] = parse_duration(duration, f"{where}.{metric}.{priority}")
        targets[metric] = checked
    return targets


def _parse_warning(data: Mapping[str, Any]) -> tuple[int | None, int | None]:
    if "warn_at" in data and "warn_before" in data:
        raise SlaConfigError("warn_at, warn_before: give one of them, not both")
    if "warn_before" in data:
        value = data["warn_before"]
        if value is None:
            return None, None
        if isinstance(value, str) and value.strip().endswith("%"):
            raise SlaConfigError(
                f"warn_before: {value!r} is a percentage; write warn_at: {value.strip()} to warn once that "
                "share of the target is used, or warn_before: 30m to warn 30 business minutes before due"
            )
        return None, parse_duration(value, "warn_before")
    value = data.get("warn_at", "80%")
    if value is None:
        return None, None
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d{1,3}%?", text):
        raise SlaConfigError(f"warn_at: {value!r} is not a percentage of the target such as '80%'")
    percent = int(text.rstrip("%"))
    if not 1 <= percent <= 99:
        raise SlaConfigError(f"warn_at: {value!r} must be between 1% and 99%")
    return percent, None


def _statuses(data: Mapping[str, Any], key: str, default: frozenset[str]) -> frozenset[str]:
    if key not in data:
        return default
    value = data[key] or []
    if not isinstance(value, list):
        raise SlaConfigError(f"{key}: expected a list of statuses")
    return frozenset(_status(item, f"{key}[{index}]") for index, item in enumerate(value))


def _status(value: object, where: str) -> str:
    if not isinstance(value, str) or not STATUS_NAME.match(value):
        raise SlaConfigError(f"{where}: {value!r} is not a status name (lower-case letters, digits and _)")
    return value


def _priorities(value: object, where: str) -> frozenset[str]:
    if not isinstance(value, list):
        raise SlaConfigError(f"{where}: expected a list of priorities such as [p1]")
    for index, item in enumerate(value):
        if item not in PRIORITIES:
            raise SlaConfigError(
                f"{where}[{index}]: unknown priority {item!r} (one of {', '.join(PRIORITIES)})"
            )
    return frozenset(value)


def policy_to_dict(policy: SlaPolicy) -> dict[str, Any]:
    def durations(targets: Mapping[str, Mapping[str, int | None]]) -> dict[str, dict[str, str | None]]:
        return {
            metric: {p: None if m is None else format_duration(m) for p, m in by_priority.items()}
            for metric, by_priority in targets.items()
        }

    data: dict[str, Any] = {"name": policy.name}
    if policy.description:
        data["description"] = policy.description
    if policy.calendar:
        data["calendar"] = policy.calendar
    data["pause_statuses"] = sorted(policy.pause_statuses)
    data["resolved_statuses"] = sorted(policy.resolved_statuses)
    data["merged_status"] = policy.merged_status
    if policy.warn_before_minutes is not None:
        data["warn_before"] = format_duration(policy.warn_before_minutes)
    else:
        data["warn_at"] = None if policy.warn_percent is None else f"{policy.warn_percent}%"
    data["targets"] = durations(policy.targets)
    data["always_open_priorities"] = sorted(policy.always_open_priorities)
    data["overrides"] = [
        {"ticket_type": ticket_type, **durations(targets)}
        for ticket_type, targets in policy.overrides.items()
    ]
    return data


# --- events ------------------------------------------------------------------------------


def parse_event(data: object, where: str = "event") -> TicketEvent:
    """One event from ``{"at": "2026-03-27T16:00:00Z", "kind": "status", "status": "open"}``."""
    data = _mapping(data, where)
    _known_keys(data, _EVENT_KEYS, f"{where}: ")
    kind = data.get("kind")
    if kind not in EVENT_FIELDS:
        raise SlaConfigError(f"{where}: kind: {kind!r} is not one of {', '.join(EVENT_KINDS)}")
    if "at" not in data:
        raise SlaConfigError(f'{where}: at: required (e.g. "2026-03-27T16:00:00Z")')
    at = parse_instant(data["at"], f"{where}: at")
    required, optional = EVENT_FIELDS[kind]
    values: dict[str, str | None] = {}
    for key in ("status", "priority", "ticket_type"):
        value = data.get(key)
        if value is None:
            if key in required:
                raise SlaConfigError(f"{where}: {key}: required for a {kind!r} event")
            values[key] = None
            continue
        if key not in required and key not in optional:
            raise SlaConfigError(f"{where}: {key}: not allowed in a {kind!r} event")
        if key == "priority" and value not in PRIORITIES:
            raise SlaConfigError(f"{where}: priority: {value!r} is not one of {', '.join(PRIORITIES)}")
        if key == "ticket_type" and value not in TICKET_TYPES:
            raise SlaConfigError(f"{where}: ticket_type: {value!r} is not one of {', '.join(TICKET_TYPES)}")
        if key == "status":
            _status(value, f"{where}: status")
        values[key] = value
    if kind == "created":
        values["status"] = values["status"] or "new"
        values["ticket_type"] = values["ticket_type"] or "incident"
    return TicketEvent(at, kind, values["status"], values["priority"], values["ticket_type"])


def parse_instant(value: object, where: str) -> dt.datetime:
    """An aware ISO-8601 time (``Z`` or an offset), as UTC; naive times are refused."""
    if not isinstance(value, str):
        raise SlaConfigError(f'{where}: expected an ISO-8601 time such as "2026-03-27T16:00:00Z"')
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise SlaConfigError(
            f'{where}: {value!r} is not an ISO-8601 time such as "2026-03-27T16:00:00Z"'
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise SlaConfigError(
            f"{where}: {value!r} has no UTC offset; add 'Z' (UTC) or an offset like '+01:00'"
        )
    at = at.astimezone(dt.UTC)
    if not _EARLIEST <= at < _LATEST:
        raise SlaConfigError(f"{where}: {value!r} is outside 1971 … 2199")
    return at


# --- files -------------------------------------------------------------------------------


def load_calendar_yaml(path: str | Path) -> BusinessCalendar:
    return _with_file(path, parse_calendar)


def load_policy_yaml(path: str | Path) -> SlaPolicy:
    return _with_file(path, parse_policy)


def _with_file(path: str | Path, parse: Callable[[object], T]) -> T:
    data = load_yaml(path)
    try:
        return parse(data)
    except SlaConfigError as exc:
        raise SlaConfigError(f"{path}: {exc}") from None


def load_yaml(path: str | Path) -> dict[str, Any]:
    """A YAML mapping from a file of at most 1 MB (safe_load: no Python objects)."""
    text = _read_text(path, MAX_YAML_BYTES)
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise SlaConfigError(f"{path}{place}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SlaConfigError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise SlaConfigError(f"{path}: invalid YAML: nested too deeply") from None
    if not isinstance(data, dict):
        raise SlaConfigError(f"{path}: expected a mapping of keys to values, got {type(data).__name__}")
    return data


def load_events_jsonl(path: str | Path) -> list[TicketEvent]:
    """Events from a JSON-lines file (one object per line; blank lines are skipped)."""
    text = _read_text(path, MAX_EVENTS_BYTES)
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SlaConfigError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from None
        events.append(parse_event(data, where))
        if len(events) > MAX_EVENTS:
            raise SlaConfigError(f"{path}: more than {MAX_EVENTS} events")
    if not any(event.kind == "created" for event in events):
        raise SlaConfigError(f"{path}: no 'created' event (the ticket's first line)")
    return events


def _read_text(path: str | Path, limit: int) -> str:
    file = Path(path)
    try:
        with file.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise SlaConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SlaConfigError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise SlaConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > limit:
        raise SlaConfigError(f"{path}: larger than {limit // 1_000_000} MB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SlaConfigError(f"{path}: not UTF-8 text") from None


# --- small validators --------------------------------------------------------------------


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SlaConfigError(f"{where}: expected a mapping, got {_kind(value)}")
    return value


def _known_keys(data: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            raise SlaConfigError(f"{prefix}{key}: unknown key (allowed: {', '.join(allowed)})")


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise SlaConfigError(f"{where}: expected text, got {_kind(value)}")
    if len(value) > 200:
        raise SlaConfigError(f"{where}: longer than 200 characters")
    return value


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SlaConfigError(f"{where}: {value!r} is not a date such as 2026-12-25")


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
