"""The `steward` command, run in-process with Typer's CliRunner against the test database."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections import Counter

import pytest
from django.contrib.auth.password_validation import validate_password
from django.db import connection
from huey import RedisHuey
from typer.testing import CliRunner

from steward import cli
from steward.cli import app
from steward.core.audit import verify_chain
from steward.core.models import AuditEntry, Client, Contact, Provider, Site, User
from steward.core.roles import Role
from steward.core.services import demo as demo_service

runner = CliRunner()
STRONG = "violet-tractor-harbour-42"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Rich wraps table cells at the terminal width (80 without a terminal): widen it."""
    for console in (cli.out, cli.err):
        monkeypatch.setattr(console, "_width", 250)


def invoke(*args: str, input: str | None = None):
    result = runner.invoke(app, list(args), input=input)
    # User errors never end in a traceback: only Typer's own exit is allowed through.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def text(result) -> str:
    """Output with line wrapping undone (rich wraps at the terminal width)."""
    return " ".join(result.output.split())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- arguments --------------------------------------------------------------------------


def test_help_lists_commands_without_touching_django():
    result = subprocess.run(
        [sys.executable, "-m", "steward.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "STEWARD_DATABASE_URL": "mysql://nope/x", "COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stderr
    for command in ("serve", "worker", "migrate", "createadmin", "demo", "check", "audit"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["audit", "tail", "-n", "abc"],
        ["audit", "tail", "-n", "0"],
        ["createadmin", "--name", "Only A Name"],
        ["serve", "--port", "99999"],
        ["demo", "--unknown-flag"],
    ],
)
def test_bad_arguments_exit_2_with_usage(args):
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Usage" in result.output


# --- createadmin --------------------------------------------------------------------------


def test_createadmin_on_a_fresh_install_creates_provider_and_admin(db):
    result = invoke(
        "createadmin",
        "--email",
        "Boss@Acme.example",
        "--name",
        "Ada Boss",
        "--password",
        STRONG,
        "--provider-name",
        "Acme IT",
    )
    assert result.exit_code == 0, result.output
    provider = Provider.objects.get()
    assert (provider.name, provider.slug) == ("Acme IT", "acme-it")
    user = User.unscoped.get(email="boss@acme.example")
    assert user.role == Role.PROVIDER_ADMIN
    assert user.provider == provider
    assert user.client is None
    assert user.check_password(STRONG)
    labels = set(AuditEntry.unscoped.values_list("actor_label", flat=True))
    assert labels == {"cli:createadmin"}
    assert verify_chain().ok


def test_createadmin_prompts_for_the_password_twice(world):
    result = invoke(
        "createadmin",
        "--email",
        "second@northwind.example",
        "--name",
        "Second Admin",
        input=f"{STRONG}\n{STRONG}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    user = User.unscoped.get(email="second@northwind.example")
    assert user.provider == world.provider  # joins the existing provider
    assert user.check_password(STRONG)


def test_createadmin_needs_a_provider_name_on_a_fresh_install(db):
    result = invoke("createadmin", "--email", "a@b.example", "--name", "A", "--password", STRONG)
    assert result.exit_code == 1
    assert "--provider-name" in text(result)
    assert not User.unscoped.exists()


def test_createadmin_refuses_duplicate_email_case_insensitively(world):
    result = invoke("createadmin", "--email", "ADMIN@northwind.example", "--name", "X", "--password", STRONG)
    assert result.exit_code == 1
    assert "already exists" in text(result)
    assert User.unscoped.filter(email__iexact="admin@northwind.example").count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "too short"), ("password1234", "too common"), ("123456789012345", "entirely numeric")],
)
def test_createadmin_refuses_weak_passwords(db, password, message):
    result = invoke(
        "createadmin",
        "--email",
        "a@b.example",
        "--name",
        "A",
        "--password",
        password,
        "--provider-name",
        "Acme IT",
    )
    assert result.exit_code == 1
    assert message in text(result)
    # Nothing half-made: the provider created for the admin is rolled back too.
    assert not User.unscoped.exists()
    assert not Provider.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "two@@example.com"])
def test_createadmin_refuses_bad_email(world, email):
    result = invoke("createadmin", "--email", email, "--name", "A", "--password", STRONG)
    assert result.exit_code == 1
    assert "email" in text(result)


def test_createadmin_refuses_empty_name(world):
    result = invoke("createadmin", "--email", "x@northwind.example", "--name", "  ", "--password", STRONG)
    assert result.exit_code == 1
    assert "name" in text(result)


# --- demo ---------------------------------------------------------------------------------


def test_demo_seeds_every_role_and_is_idempotent(db):
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    out = text(result)
    assert demo_service.DEMO_PASSWORD in out
    assert "http" in out

    provider = Provider.objects.get()
    assert provider.name == "Northwind IT Services"
    clients = {c.short_code: c for c in Client.unscoped.filter(provider=provider)}
    assert len(clients) == 4
    assert Counter(c.status for c in clients.values()) == {"active": 2, "onboarding": 1, "offboarded": 1}
    site_counts = Counter(Site.unscoped.values_list("client__short_code", flat=True))
    assert site_counts == {"RIVERSIDE": 1, "LRA": 3, "MERIDIAN": 6, "HARBOUR": 1}
    zones = set(Site.unscoped.filter(client__short_code="MERIDIAN").values_list("time_zone", flat=True))
    assert {"America/Chicago", "America/Los_Angeles", "Asia/Singapore", "Australia/Sydney"} <= zones
    assert set(Site.unscoped.filter(client__short_code="LRA").values_list("time_zone", flat=True)) == {
        "Europe/London",
        "Europe/Berlin",
        "America/New_York",
    }
    assert all(site.address_line1 and site.city and site.country for site in Site.unscoped.all())
    contacts = Counter(Contact.unscoped.values_list("client__short_code", flat=True))
    assert contacts["RIVERSIDE"] < contacts["LRA"] < contacts["MERIDIAN"]
    primaries = Counter(Contact.unscoped.filter(is_primary=True).values_list("client__short_code", flat=True))
    assert primaries == dict.fromkeys(clients, 1)

    users = list(User.unscoped.filter(provider=provider))
    roles = Counter(user.role for user in users)
    assert roles == {"provider_admin": 1, "technician": 2, "client_admin": 3, "client_it": 2, "end_user": 9}
    assert set(roles) == set(Role.values)
    for code in ("RIVERSIDE", "LRA", "MERIDIAN"):
        assert User.unscoped.filter(client=clients[code], role=Role.CLIENT_ADMIN).count() == 1
    assert set(User.unscoped.filter(role=Role.CLIENT_IT).values_list("client__short_code", flat=True)) == {
        "MERIDIAN"
    }
    assert not User.unscoped.filter(client=clients["HARBOUR"]).exists()
    technicians = {user.email: user for user in users if user.role == Role.TECHNICIAN}
    assert sum(user.all_clients for user in technicians.values()) == 1
    limited = next(user for user in technicians.values() if not user.all_clients)
    assert set(limited.granted_clients.values_list("short_code", flat=True)) == {"RIVERSIDE", "LRA"}

    for user in users:
        assert user.check_password(demo_service.DEMO_PASSWORD)
        validate_password(demo_service.DEMO_PASSWORD, user)  # the published password meets the policy
        assert user.email in out
    # Attributed audit trail, intact.
    assert set(AuditEntry.unscoped.values_list("actor_label", flat=True)) == {"cli:demo"}
    assert verify_chain().ok

    totals = (
        Client.unscoped.count(),
        Site.unscoped.count(),
        Contact.unscoped.count(),
        User.unscoped.count(),
        AuditEntry.unscoped.count(),
    )
    for args in (["demo", "--if-empty"], ["demo"]):
        again = invoke(*args)
        assert again.exit_code == 0, again.output
        assert "admin@northwind.example" in text(again)  # logins printed again
        assert (
            Client.unscoped.count(),
            Site.unscoped.count(),
            Contact.unscoped.count(),
            User.unscoped.count(),
            AuditEntry.unscoped.count(),
        ) == totals
    assert verify_chain().ok


def test_demo_completes_missing_rows(db):
    assert invoke("demo").exit_code == 0
    User.unscoped.filter(email="maya.patel@lindqvistrowe.example").delete()
    result = invoke("demo")
    assert result.exit_code == 0
    assert User.unscoped.filter(email="maya.patel@lindqvistrowe.example").exists()
    assert verify_chain().ok


def test_demo_leaves_a_real_install_alone(world):
    result = invoke("demo")
    assert result.exit_code == 1
    assert "already has a provider" in text(result)
    result = invoke("demo", "--if-empty")
    assert result.exit_code == 0
    assert "not loaded" in text(result)
    assert Provider.objects.count() == 1


# --- audit ----------------------------------------------------------------------------------


def test_audit_verify_ok(world):
    count = AuditEntry.unscoped.count()
    assert count > 10
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert f"{count} audit entries" in text(result)


class _AppendOnlyBypassed:
    """Switch off the database's append-only trigger for one test (rolled back with it)."""

    def __enter__(self):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only")
            else:
                cursor.execute("DROP TRIGGER core_auditentry_no_update")
        return connection

    def __exit__(self, *exc):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_append_only")


def test_audit_verify_detects_an_altered_entry(world):
    target = AuditEntry.unscoped.order_by("seq")[4]
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with _AppendOnlyBypassed(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE core_auditentry SET changes = %s{cast} WHERE seq = %s",  # noqa: S608
            ['{"role": [null, "provider_admin"]}', target.seq],
        )
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    out = text(result)
    assert f"#{target.seq}" in out
    assert "altered" in out


def test_audit_verify_reports_a_deleted_entry_as_missing(world):
    total = AuditEntry.unscoped.count()
    middle = total // 2
    with _AppendOnlyBypassed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [middle])
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    out = text(result)
    assert f"#{middle} is missing" in out


def test_audit_tail_shows_the_latest_entries(world):
    result = invoke("audit", "tail", "-n", "3")
    assert result.exit_code == 0, result.output
    last = AuditEntry.unscoped.order_by("-seq")[0]
    seqs = [str(seq) for seq in range(last.seq - 2, last.seq + 1)]
    lines = [line for line in result.output.splitlines() if line.startswith("│")]
    shown = [line.split("│")[1].strip() for line in lines if line.split("│")[1].strip()]
    assert shown == seqs
    assert "Last 3 audit entries" in result.output


def test_audit_tail_on_an_empty_trail(db):
    result = invoke("audit", "tail")
    assert result.exit_code == 0
    assert "empty" in result.output


# --- check ----------------------------------------------------------------------------------


def test_check_passes_on_a_healthy_install(db):
    result = invoke("check")
    assert result.exit_code == 0, result.output
    out = text(result)
    for name in ("Configuration", "Secret key", "Database", "Migrations", "Job queue", "Scheduler", "E-mail"):
        assert name in out
    assert "✗" not in out
    assert "All checks passed" in out


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("STEWARD_DATABASE_URL", "mysql://steward@db/steward", "unsupported database URL scheme"),
        ("STEWARD_DEBUG", "maybe", "not a boolean"),
        ("STEWARD_SMTP_URL", "http://mail.example", "STEWARD_SMTP_URL scheme"),
    ],
)
def test_check_fails_on_bad_configuration(db, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    result = invoke("check")
    assert result.exit_code == 1
    out = text(result)
    assert message in out
    assert "✗" in out
    assert "failed" in out


def test_check_fails_when_the_queue_is_unreachable(db, settings):
    settings.HUEY = RedisHuey("steward-check", url=f"redis://127.0.0.1:{closed_port()}/0")
    result = invoke("check")
    assert result.exit_code == 1
    out = text(result)
    assert "Job queue" in out
    assert "unreachable" in out


def test_check_fails_on_a_readable_secret_key(db, settings, monkeypatch):
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    key_file = settings.DATA_DIR / "secret_key"
    key_file.chmod(0o644)
    try:
        result = invoke("check")
    finally:
        key_file.chmod(0o600)
    assert result.exit_code == 1
    assert "chmod 600" in text(result)


def test_worker_refuses_inline_jobs_mode(db):
    result = invoke("worker")
    assert result.exit_code == 1
    assert "STEWARD_JOBS_IMMEDIATE" in text(result)
