"""Diagnose an install: configuration, secret key, database, queue, scheduler and e-mail.

``steward check`` prints these results as a table and /healthz shares the scheduler
reading. The configuration checks run before Django is set up (a bad ``STEWARD_*``
variable would otherwise stop the settings from loading at all), so Django and the
models are imported inside the functions that need them.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import os
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from steward import config

SCHEDULER_MAX_AGE = dt.timedelta(minutes=5)
HEARTBEAT = "heartbeat"


class Status(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    hint: str = ""

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL


def all_passed(results: list[CheckResult]) -> bool:
    return not any(result.failed for result in results)


# --- configuration (no Django needed) ---------------------------------------------------

BOOL_VARS = (
    "STEWARD_DEBUG",
    "STEWARD_JOBS_IMMEDIATE",
    "STEWARD_REQUIRE_STAFF_MFA",
    "STEWARD_COOKIE_SECURE",
    "STEWARD_HTTPS",
    "STEWARD_BEHIND_PROXY",
)
INT_VARS = (
    "STEWARD_LOGIN_MAX_FAILURES",
    "STEWARD_LOGIN_LOCKOUT_SECONDS",
    "STEWARD_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "STEWARD_SESSION_SECONDS",
)
LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def _config_problems(env: dict[str, str]) -> list[tuple[str, str, str]]:
    """(variable, problem, hint) for every ``STEWARD_*`` value Steward cannot use.

    ``env`` is a snapshot of ``os.environ`` (the ``config.env_*`` helpers read it directly).
    """
    problems: list[tuple[str, str, str]] = []

    def attempt(name: str, parse: Callable[[], Any], hint: str) -> None:
        try:
            parse()
        except config.ConfigError as exc:
            problems.append((name, str(exc), hint))

    for name in BOOL_VARS:
        attempt(
            name, functools.partial(config.env_bool, name, False), "Use 1/0, true/false, yes/no or on/off."
        )
    for name in INT_VARS:
        attempt(name, functools.partial(config.env_int, name, 0), "Use a whole number.")
    for name in INT_VARS:
        raw = env.get(name, "").strip()
        if raw.lstrip("-").isdigit() and int(raw) <= 0:
            problems.append((name, f"{name}={raw!r} must be greater than zero", "Use a positive number."))
    attempt(
        "STEWARD_DATABASE_URL",
        lambda: config.parse_database_url(
            env.get("STEWARD_DATABASE_URL", ""), default_sqlite=Path("steward.db")
        ),
        "Use postgresql://user:password@host:5432/name, sqlite:///path, or leave it unset for SQLite.",
    )
    attempt(
        "STEWARD_SMTP_URL",
        lambda: config.parse_smtp_url(env.get("STEWARD_SMTP_URL", "")),
        "Use smtp://host:25, smtp+starttls://user:password@host:587 or smtps://user:password@host:465.",
    )
    secret = env.get("STEWARD_SECRET_KEY", "")
    if secret and len(secret) < 32:
        problems.append(
            (
                "STEWARD_SECRET_KEY",
                "STEWARD_SECRET_KEY must be at least 32 characters long",
                "Unset it to use the generated key file, or set a long random value.",
            )
        )
    redis_url = env.get("STEWARD_REDIS_URL", "")
    if redis_url and urlsplit(redis_url).scheme not in {"redis", "rediss", "unix"}:
        problems.append(
            (
                "STEWARD_REDIS_URL",
                f"STEWARD_REDIS_URL scheme {urlsplit(redis_url).scheme!r} is not redis://",
                "Use redis://host:6379/0 (or rediss:// for TLS), or unset it for the SQLite queue.",
            )
        )
    urls = [("STEWARD_SITE_URL", env.get("STEWARD_SITE_URL", ""))]
    origins = env.get("STEWARD_CSRF_TRUSTED_ORIGINS", "").split(",")
    urls += [("STEWARD_CSRF_TRUSTED_ORIGINS", origin.strip()) for origin in origins if origin.strip()]
    for name, value in urls:
        parts = urlsplit(value)
        if value and (parts.scheme not in {"http", "https"} or not parts.hostname):
            problems.append(
                (name, f"{name}: {value!r} is not an http(s) URL", "Use e.g. https://steward.example.com")
            )
    level = env.get("STEWARD_LOG_LEVEL", "")
    if level and level.upper() not in LOG_LEVELS:
        problems.append(
            (
                "STEWARD_LOG_LEVEL",
                f"STEWARD_LOG_LEVEL={level!r} is not a log level",
                "Use DEBUG, INFO, WARNING or ERROR.",
            )
        )
    return problems


def check_configuration() -> list[CheckResult]:
    env = dict(os.environ)
    problems = _config_problems(env)
    if problems:
        return [CheckResult(f"Config {name}", Status.FAIL, problem, hint) for name, problem, hint in problems]
    used = sorted(name for name in env if name.startswith("STEWARD_"))
    detail = (
        f"{len(used)} STEWARD_* variable(s) set, all valid"
        if used
        else "defaults (no STEWARD_* variables set)"
    )
    results = [CheckResult("Configuration", Status.OK, detail)]
    if config.env_bool("STEWARD_DEBUG", False):
        results.append(
            CheckResult("Debug mode", Status.WARN, "STEWARD_DEBUG is on", "Turn it off outside development.")
        )
    return results


def check_secret_key(data_dir: Path | None = None) -> CheckResult:
    name = "Secret key"
    if os.environ.get("STEWARD_SECRET_KEY"):
        return CheckResult(name, Status.OK, "from STEWARD_SECRET_KEY")
    try:
        directory = data_dir or config.data_dir()
    except OSError as exc:
        return CheckResult(name, Status.FAIL, f"data directory unusable: {exc}", "Check STEWARD_DATA_DIR.")
    key_file = directory / "secret_key"
    if not key_file.exists():
        return CheckResult(
            name,
            Status.FAIL,
            f"{key_file} does not exist",
            "It is created on first start (steward migrate); check the data directory is writable.",
        )
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        return CheckResult(
            name,
            Status.FAIL,
            f"{key_file} has permissions {mode:04o}; others can read it",
            f"Run: chmod 600 {key_file}",
        )
    if len(key_file.read_text().strip()) < 32:
        return CheckResult(
            name,
            Status.FAIL,
            f"{key_file} holds a key shorter than 32 characters",
            "Delete it (sessions and encrypted secrets are lost) or set STEWARD_SECRET_KEY.",
        )
    return CheckResult(name, Status.OK, f"{key_file} (0600)")


# --- checks that need Django ------------------------------------------------------------


def setup_django() -> CheckResult | None:
    """Load the settings and apps; a failure result when they cannot load."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    try:
        import django
        from django.apps import apps

        if not apps.ready:
            django.setup()
    except config.ConfigError as exc:
        return CheckResult("Settings", Status.FAIL, str(exc), "Fix the STEWARD_* variable named above.")
    except Exception as exc:  # reported: `check` must explain, not crash
        return CheckResult("Settings", Status.FAIL, f"{type(exc).__name__}: {exc}", "See the error above.")
    return None


def check_database() -> CheckResult:
    from django.db import connection

    name = "Database"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return CheckResult(
            name,
            Status.FAIL,
            f"{connection.vendor}: cannot connect ({type(exc).__name__}: {' '.join(str(exc).split())})",
            "Check STEWARD_DATABASE_URL and that the database server is running.",
        )
    where = connection.settings_dict.get("NAME")
    if connection.vendor == "postgresql":
        where = f"{connection.settings_dict.get('HOST') or 'local socket'}/{where}"
    return CheckResult(name, Status.OK, f"{connection.vendor} reachable ({where})")


def pending_migrations() -> list[str]:
    """Unapplied migrations as ``app.name`` (raises when the database is unreachable)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]


def check_migrations() -> CheckResult:
    name = "Migrations"
    try:
        pending = pending_migrations()
    except Exception as exc:
        return CheckResult(
            name,
            Status.FAIL,
            f"cannot read migration state ({type(exc).__name__})",
            "Fix the database connection first.",
        )
    if pending:
        shown = ", ".join(pending[:3]) + (" …" if len(pending) > 3 else "")
        return CheckResult(name, Status.FAIL, f"{len(pending)} not applied: {shown}", "Run: steward migrate")
    return CheckResult(name, Status.OK, "all applied")


def check_queue() -> CheckResult:
    from django.conf import settings

    from steward.jobs import queue_health

    health = queue_health(settings.HUEY)
    if not health["ok"]:
        return CheckResult(
            "Job queue",
            Status.FAIL,
            f"{health['backend']} unreachable: {health['error']}",
            "Check STEWARD_REDIS_URL and that Redis is running (or unset it for the SQLite queue).",
        )
    return CheckResult(
        "Job queue",
        Status.OK,
        f"{health['backend']}: {health['pending']} pending, {health['scheduled']} scheduled",
    )


def scheduler_state() -> dict[str, Any]:
    """Age of the last heartbeat job, as /healthz reports it (``ok`` is None before the first)."""
    from django.utils import timezone

    from steward.core.models import SchedulerBeat

    beat = SchedulerBeat.objects.filter(name=HEARTBEAT).first()
    if beat is None:
        return {"ok": None, "last_run": None, "note": "no periodic run recorded yet"}
    age = (timezone.now() - beat.last_run_at).total_seconds()
    return {
        "ok": age < SCHEDULER_MAX_AGE.total_seconds(),
        "last_run": beat.last_run_at.isoformat(),
        "age_seconds": int(age),
    }


def check_scheduler() -> CheckResult:
    from django.conf import settings

    name = "Scheduler"
    if getattr(settings.HUEY, "immediate", False):
        return CheckResult(
            name,
            Status.WARN,
            "jobs run inline (STEWARD_JOBS_IMMEDIATE): no periodic jobs",
            "Unset STEWARD_JOBS_IMMEDIATE outside tests.",
        )
    try:
        state = scheduler_state()
    except Exception as exc:
        return CheckResult(
            name,
            Status.FAIL,
            f"cannot read the heartbeat ({type(exc).__name__})",
            "Fix the database connection first.",
        )
    if state["ok"] is None:
        return CheckResult(
            name,
            Status.WARN,
            "no heartbeat recorded yet",
            "Start the worker: steward worker (or steward serve --with-worker).",
        )
    age = _human_age(state["age_seconds"])
    if not state["ok"]:
        return CheckResult(
            name,
            Status.FAIL,
            f"last heartbeat {age} ago",
            "The worker is not running or its scheduler is stuck: (re)start steward worker.",
        )
    return CheckResult(name, Status.OK, f"last heartbeat {age} ago")


def _human_age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def check_email(timeout: float = 3.0) -> CheckResult:
    from email.utils import parseaddr

    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    name = "E-mail"
    _, sender = parseaddr(settings.DEFAULT_FROM_EMAIL)
    try:
        validate_email(sender)
    except ValidationError:
        return CheckResult(
            name,
            Status.FAIL,
            f"sender {settings.DEFAULT_FROM_EMAIL!r} is not an e-mail address",
            "Set STEWARD_FROM_EMAIL, e.g. 'Steward <steward@example.com>'.",
        )
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend == "filebased":
        return CheckResult(
            name,
            Status.WARN,
            f"no SMTP server: mail is written to {settings.EMAIL_FILE_PATH}",
            "Set STEWARD_SMTP_URL to send real mail.",
        )
    if backend != "smtp":
        return CheckResult(name, Status.OK, f"{backend} backend, sender {sender}")
    host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return CheckResult(
            name,
            Status.FAIL,
            f"SMTP server {host}:{port} unreachable ({exc})",
            "Check STEWARD_SMTP_URL and that outbound SMTP is allowed.",
        )
    return CheckResult(name, Status.OK, f"SMTP {host}:{port} reachable, sender {sender}")


def run_checks(*, smtp_timeout: float = 3.0) -> list[CheckResult]:
    """Every check, in order; later ones are skipped when what they need is broken."""
    results = check_configuration()
    results.append(check_secret_key())
    if any(result.failed for result in results if result.name.startswith("Config")):
        # Loading the settings with a broken variable would only repeat the error.
        skipped = ("Database", "Migrations", "Job queue", "Scheduler", "E-mail")
        return results + [CheckResult(name, Status.SKIPPED, "configuration is invalid") for name in skipped]
    problem = setup_django()
    if problem is not None:
        return [*results, problem]
    database = check_database()
    results.append(database)
    if database.failed:
        results.append(CheckResult("Migrations", Status.SKIPPED, "database unreachable"))
    else:
        results.append(check_migrations())
    results.append(check_queue())
    if database.failed:
        results.append(CheckResult("Scheduler", Status.SKIPPED, "database unreachable"))
    else:
        results.append(check_scheduler())
    results.append(check_email(timeout=smtp_timeout))
    return results
