"""Parsing and validating calendars, SLA policies and event logs: one clear error each."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from steward.servicedesk.sla import (
    SlaConfigError,
    calendar_to_dict,
    load_calendar_yaml,
    load_events_jsonl,
    load_policy_yaml,
    parse_calendar,
    parse_event,
    parse_policy,
    policy_to_dict,
)
from steward.servicedesk.sla.loader import parse_duration

from .helpers import TARGETS, utc

GOOD_CALENDAR = {
    "name": "London office",
    "timezone": "Europe/London",
    "hours": {"mon": ["08:00-12:30", "13:30-17:30"], "tue-thu": ["08:00-17:30"], "fri": "16:00-24:00"},
    "holidays": [
        {"date": dt.date(2026, 12, 25), "name": "Christmas Day", "recurring": True},
        {"date": "2026-04-03", "name": "Good Friday"},
        "2026-04-06",
    ],
}


def test_calendar_shape():
    cal = parse_calendar(GOOD_CALENDAR)
    assert cal.name == "London office"
    assert cal.timezone == "Europe/London"
    # Minutes from midnight: 08:00 = 480, 12:30 = 750, 13:30 = 810, 17:30 = 1050, 24:00 = 1440.
    assert cal.weekly[0] == ((480, 750), (810, 1050))
    assert cal.weekly[1] == cal.weekly[2] == cal.weekly[3] == ((480, 1050),)
    assert cal.weekly[4] == ((960, 1440),)
    assert cal.weekly[5] == cal.weekly[6] == ()
    assert [(h.date, h.recurring) for h in cal.holidays] == [
        (dt.date(2026, 12, 25), True),
        (dt.date(2026, 4, 3), False),
        (dt.date(2026, 4, 6), False),
    ]
    assert parse_calendar(calendar_to_dict(cal)) == cal


def test_always_open_calendar():
    cal = parse_calendar({"name": "24/7", "always_open": True})
    assert cal.always_open and cal.timezone == "UTC"
    assert parse_calendar(calendar_to_dict(cal)) == cal


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Europe/Lundon"}, "timezone: unknown time zone 'Europe/Lundon'"),
        ({"timezone": None}, "timezone: expected text, got nothing"),
        (
            {"hours": {"mon": ["08:00-12:30", "13:00-12:00"]}},
            r"hours.mon\[1\]: '13:00-12:00' ends before it starts",
        ),
        (
            {"hours": {"mon": ["08:00-12:30", "12:00-17:00"]}},
            "hours.mon: '08:00-12:30' and '12:00-17:00' overlap",
        ),
        ({"hours": {"mon": ["8-17"]}}, r"hours.mon\[0\]: '8-17' is not a period such as '08:00-17:30'"),
        ({"hours": {"mon": ["08:00-24:30"]}}, "impossible time"),
        ({"hours": {"mon": ["25:00-26:00"]}}, "impossible time"),
        ({"hours": {"mon": ["09:00-09:00"]}}, "is empty"),
        ({"hours": {"funday": ["09:00-17:00"]}}, "hours: 'funday' is not a day"),
        ({"hours": {"fri-mon": ["09:00-17:00"]}}, "a range runs forwards"),
        ({"hours": {"mon-fri": ["09:00-17:00"], "wed": []}}, "hours: wed is given twice"),
        ({"hours": {"mon": []}}, "no opening hours"),
        ({"hours": {"mon": [480]}}, "is not a period"),
        ({"hours": ["09:00-17:00"]}, "hours: expected a mapping, got list"),
        ({"holidays": [{"date": "2026-13-01"}]}, r"holidays\[0\].date: '2026-13-01' is not a date"),
        ({"holidays": [{"name": "x"}]}, r"holidays\[0\].date: required"),
        ({"holidays": [{"date": "2026-12-25", "recurring": "yes"}]}, "recurring: expected true or false"),
        ({"holidays": [{"date": "2026-12-25", "when": 1}]}, r"holidays\[0\].when: unknown key"),
        ({"colour": "blue"}, r"colour: unknown key \(allowed: name, description, timezone"),
        ({"always_open": True}, "hours: not allowed with always_open: true"),
        ({"always_open": "yes"}, "always_open: expected true or false"),
    ],
)
def test_calendar_errors(change, message):
    with pytest.raises(SlaConfigError, match=message):
        parse_calendar({**GOOD_CALENDAR, **change})


def test_calendar_needs_zone_and_hours():
    with pytest.raises(SlaConfigError, match="timezone: required"):
        parse_calendar({"hours": {"mon": ["09:00-17:00"]}})
    with pytest.raises(SlaConfigError, match="hours: required"):
        parse_calendar({"timezone": "UTC"})
    with pytest.raises(SlaConfigError, match="calendar: expected a mapping, got list"):
        parse_calendar(["mon"])


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        (30, 30),
        ("30m", 30),
        ("30min", 30),
        ("4h", 240),
        ("1h30m", 90),
        ("1h 30m", 90),
        ("90", 90),
        (" 2H ", 120),
    ],
)
def test_durations(value, minutes):
    assert parse_duration(value, "x") == minutes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3d", "days are ambiguous"),
        ("1d4h", "days are ambiguous"),
        ("2w", "days are ambiguous"),
        ("-30m", "cannot be negative"),
        (-5, "cannot be negative"),
        (0, "must be positive"),
        ("soon", "is not a duration"),
        ("", "is not a duration"),
        (1.5, "expected a duration"),
        (True, "expected a duration"),
        (None, "expected a duration"),
    ],
)
def test_duration_errors(value, message):
    with pytest.raises(SlaConfigError, match=message):
        parse_duration(value, "targets.resolution.p3")


def test_policy_shape():
    policy = parse_policy(
        {
            "name": "Managed service standard",
            "calendar": "London office",
            "pause_statuses": ["waiting_on_customer", "waiting_on_third_party", "on_hold"],
            "warn_before": "15m",
            "targets": TARGETS,
            "always_open_priorities": ["p1"],
            "overrides": [
                {"ticket_type": "service_request", "resolution": {"p3": "40h", "p4": "80h"}},
                {"ticket_type": "proactive", "first_response": {"p3": None}},
            ],
        }
    )
    assert policy.target_minutes("resolution", "p3") == 16 * 60
    assert policy.target_minutes("resolution", "p3", "service_request") == 40 * 60
    assert policy.target_minutes("resolution", "p2", "service_request") == 8 * 60  # not overridden
    assert policy.target_minutes("first_response", "p3", "proactive") is None  # removed
    assert policy.target_minutes("first_response", "p4", "proactive") == 8 * 60
    assert policy.warn_before_minutes == 15 and policy.warn_percent is None
    assert policy.warn_threshold(60 * 60) == 45 * 60  # 15 minutes before a 1 h target
    assert policy.warn_threshold(10 * 60) == 0  # a 10-minute target warns at once
    assert "on_hold" in policy.pause_statuses
    assert policy.resolved_statuses == {"resolved", "closed"}
    assert policy.always_open_priorities == {"p1"}
    assert parse_policy(policy_to_dict(policy)) == policy


def test_policy_defaults():
    policy = parse_policy({"name": "Basic", "targets": {"resolution": {"p1": "4h"}}})
    assert policy.pause_statuses == {"waiting_on_customer", "waiting_on_third_party"}
    assert policy.merged_status == "merged"
    assert policy.warn_percent == 80
    assert policy.warn_threshold(100 * 60) == 80 * 60
    assert policy.target_minutes("resolution", "p2") is None
    assert parse_policy(policy_to_dict(policy)) == policy


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"targets": {"resolution": {"p5": "4h"}}}, "targets.resolution: unknown priority 'p5'"),
        (
            {"targets": {"resolution": {"p1": "-4h"}}},
            "targets.resolution.p1: '-4h': a duration cannot be negative",
        ),
        ({"targets": {"resolution": {"p1": "3d"}}}, "targets.resolution.p1: '3d': days are ambiguous"),
        ({"targets": {"resolution": {"p1": 0}}}, "targets.resolution.p1: 0: the duration must be positive"),
        ({"targets": {"resolution": {"p1": "800000h"}}}, "longer than a year"),
        ({"targets": {"response": {"p1": "4h"}}}, "targets: unknown metric 'response'"),
        ({"targets": {}}, "targets: give at least one target"),
        ({"targets": {"resolution": {"p1": None}}}, "targets.resolution.p1: expected a duration"),
        ({"warn_before": "80%"}, "warn_before: '80%' is a percentage; write warn_at: 80%"),
        ({"warn_at": "80 percent"}, "warn_at: '80 percent' is not a percentage"),
        ({"warn_at": "100%"}, "between 1% and 99%"),
        ({"warn_at": "80%", "warn_before": "10m"}, "give one of them, not both"),
        ({"pause_statuses": ["Waiting"]}, r"pause_statuses\[0\]: 'Waiting' is not a status name"),
        ({"pause_statuses": ["resolved"]}, "'resolved' is also a resolved status"),
        ({"merged_status": "closed"}, "merged_status: 'closed' is also a pause or resolved status"),
        ({"resolved_statuses": []}, "at least one status must count as resolved"),
        ({"always_open_priorities": ["urgent"]}, r"always_open_priorities\[0\]: unknown priority 'urgent'"),
        (
            {"overrides": [{"ticket_type": "bug", "resolution": {"p1": "1h"}}]},
            r"overrides\[0\].ticket_type: 'bug'",
        ),
        (
            {"overrides": [{"ticket_type": "change"}, {"ticket_type": "change"}]},
            r"overrides\[1\].ticket_type: 'change' has two overrides",
        ),
        ({"overrides": [{"ticket_type": "change", "sla": 1}]}, r"overrides\[0\].sla: unknown key"),
        ({"sla_name": "x"}, "sla_name: unknown key"),
        ({"name": ""}, "name: required"),
    ],
)
def test_policy_errors(change, message):
    with pytest.raises(SlaConfigError, match=message):
        parse_policy({"name": "Standard", "targets": TARGETS, **change})


def test_events():
    event = parse_event({"at": "2026-03-27T16:00:00+01:00", "kind": "created", "priority": "p2"})
    assert event.at == utc(2026, 3, 27, 15)
    assert (event.kind, event.status, event.priority, event.ticket_type) == (
        "created",
        "new",
        "p2",
        "incident",
    )
    assert parse_event({"at": "2026-03-27T16:00:00Z", "kind": "agent_reply", "note": "called back"}).kind == (
        "agent_reply"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"at": "2026-03-27T16:00:00", "kind": "agent_reply"}, "has no UTC offset; add 'Z'"),
        ({"at": "yesterday", "kind": "agent_reply"}, "is not an ISO-8601 time"),
        ({"at": 1774627200, "kind": "agent_reply"}, "expected an ISO-8601 time"),
        ({"at": "1900-01-01T00:00:00Z", "kind": "agent_reply"}, "outside 1971"),
        ({"kind": "agent_reply"}, "at: required"),
        (
            {"at": "2026-03-27T16:00:00Z", "kind": "escalated"},
            "kind: 'escalated' is not one of created, status",
        ),
        ({"at": "2026-03-27T16:00:00Z", "kind": "created"}, "priority: required for a 'created' event"),
        ({"at": "2026-03-27T16:00:00Z", "kind": "status"}, "status: required for a 'status' event"),
        (
            {"at": "2026-03-27T16:00:00Z", "kind": "priority", "priority": "high"},
            "priority: 'high' is not one of",
        ),
        (
            {"at": "2026-03-27T16:00:00Z", "kind": "type", "ticket_type": "bug"},
            "ticket_type: 'bug' is not one of",
        ),
        ({"at": "2026-03-27T16:00:00Z", "kind": "agent_reply", "status": "open"}, "status: not allowed in"),
        ({"at": "2026-03-27T16:00:00Z", "kind": "agent_reply", "by": "bob"}, "by: unknown key"),
        (["2026-03-27"], "expected a mapping, got list"),
    ],
)
def test_event_errors(data, message):
    with pytest.raises(SlaConfigError, match=message):
        parse_event(data)


def test_yaml_files(tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text("name: Office\ntimezone: Europe/London\nhours:\n  mon-fri: ['09:00-17:00']\n")
    assert load_calendar_yaml(path).weekly[0] == ((540, 1020),)
    path.write_text("name: Office\ntimezone: Europe/London\nhours:\n  mon: ['09:00-08:00']\n")
    with pytest.raises(
        SlaConfigError, match=r"cal.yaml: hours.mon\[0\]: '09:00-08:00' ends before it starts"
    ):
        load_calendar_yaml(path)
    path.write_text("name: [unclosed\n")
    with pytest.raises(SlaConfigError, match=r"cal.yaml:2:1: invalid YAML"):
        load_calendar_yaml(path)
    path.write_text("- just\n- a list\n")
    with pytest.raises(SlaConfigError, match="expected a mapping of keys to values, got list"):
        load_policy_yaml(path)
    path.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(SlaConfigError, match="invalid YAML"):
        load_policy_yaml(path)
    path.write_text("name: " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(SlaConfigError, match="nested too deeply"):
        load_policy_yaml(path)
    aliases = "pause_statuses: &a [[x, x], [x, x]]\nresolved_statuses: [*a, *a, *a, *a]\n"
    path.write_text("name: n\ntargets: {resolution: {p1: 1h}}\n" + aliases)
    with pytest.raises(SlaConfigError, match=r"pause_statuses\[0\]: \['x', 'x'\] is not a status name"):
        load_policy_yaml(path)  # aliases are refused at the first wrong item, never expanded
    path.write_bytes(b"name: " + b"x" * 1_000_001)
    with pytest.raises(SlaConfigError, match="larger than 1 MB"):
        load_policy_yaml(path)
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(SlaConfigError, match="not UTF-8 text"):
        load_policy_yaml(path)
    with pytest.raises(SlaConfigError, match=r"nope\.yaml: no such file"):
        load_policy_yaml(tmp_path / "nope.yaml")
    with pytest.raises(SlaConfigError, match="is a directory"):
        load_policy_yaml(tmp_path)


def test_events_file(tmp_path):
    path = tmp_path / "events.jsonl"
    lines = [
        {"at": "2026-01-19T09:00:00Z", "kind": "created", "priority": "p3"},
        {"at": "2026-01-19T09:30:00Z", "kind": "agent_reply"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    assert [event.kind for event in load_events_jsonl(path)] == ["created", "agent_reply"]
    path.write_text(json.dumps(lines[0]) + "\n" + '{"at": "2026-01-19T09:30:00Z", "kind": \n')
    with pytest.raises(SlaConfigError, match=r"events.jsonl:2: invalid JSON: Expecting value"):
        load_events_jsonl(path)
    path.write_text(json.dumps(lines[0]) + "\n" + '{"at": "2026-01-19T09:30:00", "kind": "agent_reply"}\n')
    with pytest.raises(SlaConfigError, match=r"events.jsonl:2: at: '2026-01-19T09:30:00' has no UTC offset"):
        load_events_jsonl(path)
    path.write_text(json.dumps(lines[1]) + "\n")
    with pytest.raises(SlaConfigError, match="no 'created' event"):
        load_events_jsonl(path)
