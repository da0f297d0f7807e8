"""``steward sla simulate``: the example files of docs/sla.md, and bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from steward.cli import app
from steward.servicedesk.sla import parse_calendar, parse_policy

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "sla"
runner = CliRunner()


def simulate(
    *extra: str,
    calendar: Path | str = EXAMPLES / "calendar.yaml",
    sla: Path | str = EXAMPLES / "sla.yaml",
    events: Path | str = EXAMPLES / "events.jsonl",
):
    args = [
        "sla",
        "simulate",
        "--calendar",
        str(calendar),
        "--sla",
        str(sla),
        "--events",
        str(events),
        *extra,
    ]
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_docs_example():
    result = simulate("--now", "2026-03-31T12:00:00Z")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["sla"], data["calendar"], data["timezone"]) == (
        "Managed service standard",
        "London office",
        "Europe/London",
    )
    assert (data["status"], data["priority"], data["paused"]) == ("in_progress", "p4", False)
    first, update, resolution = data["targets"]
    # Calendar (UTC): Fri 27 Mar is GMT, 08:00-16:00; from Mon 30 Mar BST: Mon 07:00-11:30
    # and 12:30-16:30, Tue-Thu 07:00-16:30; Good Friday 3 Apr and Easter Monday 6 Apr closed.
    # First response (p3, 4 h): replied after 20 min. Would have been due with 220 min left
    # after Fri 15:20: Fri 15:20-16:00 (40) + Mon 07:00-10:00 (180) = Mon 10:00 UTC.
    assert (first["state"], first["business_minutes_used"], first["target_minutes"]) == ("met", 20, 240)
    assert (first["due_at"], first["due_at_local"]) == ("2026-03-30T10:00:00Z", "2026-03-30T11:00:00+01:00")
    # Next update: cycle 1 from Fri 15:20 ended by the reply on Tue 09:00; cycle 2 runs under
    # p4 (16 h = 960 min): Tue 09:00-12:00 = 180 used; 780 left = Tue 12:00-16:30 (270) +
    # Wed 07:00-15:30 (510). Warning at 80% (768): 588 after 12:00 = 270 + Wed 07:00-12:18.
    assert (update["state"], update["business_minutes_used"], update["target_minutes"]) == (
        "running",
        180,
        960,
    )
    assert (update["due_at"], update["warn_at"]) == ("2026-04-01T15:30:00Z", "2026-04-01T12:18:00Z")
    # Resolution: Fri 15:00-16:00 (60) + Mon 07:00-09:00 (120, then waiting until 14:30) +
    # Mon 14:30-16:30 (120) + Tue 07:00-12:00 (300) = 600 of p4's 40 h (2400). 1800 left:
    # Tue 270, Wed 570, Thu 570 (= 1410), Good Friday, weekend, Easter Monday, Tue 7 Apr
    # 07:00 + 390 min = 13:30 UTC. Warning at 1920: 1320 left after now = Thu 2 Apr 15:00.
    assert (resolution["state"], resolution["business_minutes_used"], resolution["target_minutes"]) == (
        "running",
        600,
        2400,
    )
    assert (resolution["due_at"], resolution["warn_at"]) == ("2026-04-07T13:30:00Z", "2026-04-02T15:00:00Z")
    assert data["next_deadline"] == "2026-04-01T12:18:00Z"  # the earliest warning


def test_docs_example_a_day_later_shows_the_breach():
    data = json.loads(simulate("--now", "2026-04-01T16:00:00Z").stdout)
    update = data["targets"][1]
    # The update cycle ran out at Wed 1 Apr 15:30 UTC (see above) with no reply.
    assert (update["state"], update["breached"], update["breached_at"]) == (
        "breached",
        True,
        "2026-04-01T15:30:00Z",
    )
    # Tue 09:00-16:30 (450) + Wed 07:00-16:00 (540) = 990 min used.
    assert update["business_minutes_used"] == 990
    assert data["next_deadline"] == "2026-04-02T15:00:00Z"  # resolution's warning


def test_runs_without_django_as_a_real_process():
    args = ["sla", "simulate", "-c", str(EXAMPLES / "calendar.yaml"), "-s", str(EXAMPLES / "sla.yaml")]
    args += ["-e", str(EXAMPLES / "events.jsonl")]
    code = (
        "import sys\n"
        "from steward.cli import app\n"
        "try:\n"
        "    app(sys.argv[1:], prog_name='steward')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code\n"
        "assert 'django' not in sys.modules, 'Django was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sla"] == "Managed service standard"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"calendar": "missing.yaml"}, "Error: missing.yaml: no such file"),
        ({"events": "bad.jsonl"}, "bad.jsonl:2: invalid JSON: Expecting"),
        ({"events": "naive.jsonl"}, "naive.jsonl:1: at: '2026-03-27T15:00:00' has no UTC offset"),
        ({"calendar": "bad.yaml"}, "bad.yaml: hours.mon[0]: '17:00-09:00' ends before it starts"),
        ({"sla": "days.yaml"}, "days.yaml: targets.resolution.p3: '3d': days are ambiguous"),
        ({"sla": "broken.yaml"}, "broken.yaml:2:1: invalid YAML: expected ',' or ']'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, files, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.jsonl").write_text(
        '{"at": "2026-03-27T15:00:00Z", "kind": "created", "priority": "p3"}\n{"at": \n'
    )
    (tmp_path / "naive.jsonl").write_text(
        '{"at": "2026-03-27T15:00:00", "kind": "created", "priority": "p3"}\n'
    )
    (tmp_path / "bad.yaml").write_text('timezone: Europe/London\nhours: {mon: ["17:00-09:00"]}\n')
    (tmp_path / "days.yaml").write_text("name: Days\ntargets: {resolution: {p3: 3d}}\n")
    (tmp_path / "broken.yaml").write_text("name: [oops\n")
    result = simulate(**files)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert result.stderr.count("\n") == 1  # one line


def test_bad_now():
    result = simulate("--now", "tomorrow")
    assert result.exit_code == 2
    assert "--now: 'tomorrow' is not an ISO-8601 time" in result.stderr


def test_docs_page_matches_the_engine():
    """docs/sla.md: its YAML examples are valid and its sample output is the real one."""
    page = (EXAMPLES.parents[1] / "sla.md").read_text()
    calendar_yaml, policy_yaml = re.findall(r"```yaml\n(.*?)```", page, re.S)
    assert parse_calendar(yaml.safe_load(calendar_yaml)).name == "London office"
    assert parse_policy(yaml.safe_load(policy_yaml)).name == "Managed service standard"
    shown = page.split("--now 2026-03-31T12:00:00Z\n", 1)[1].split("```", 1)[0]
    assert json.loads(shown) == json.loads(simulate("--now", "2026-03-31T12:00:00Z").stdout)
