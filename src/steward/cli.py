"""The ``steward`` command: run, set up and inspect a Steward install.

Django is set up lazily inside each command, so ``steward --help`` is instant and works
without a database. User errors end with a red message on stderr and exit status 1 (bad
arguments: Typer's usage message and status 2); tracebacks are for bugs only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

app = typer.Typer(
    name="steward",
    help="Steward: proactive IT support for MSPs and co-managed IT teams.",
    no_args_is_help=True,
    add_completion=False,
    # Locals can hold passwords and keys: never print them in a traceback.
    pretty_exceptions_show_locals=False,
)
audit_app = typer.Typer(help="Inspect and verify the audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
sla_app = typer.Typer(help="Try SLA policies and calendars without a database.", no_args_is_help=True)
app.add_typer(sla_app, name="sla")
mail_app = typer.Typer(help="Receive support mail: IMAP polling and the SMTP listener.", no_args_is_help=True)
app.add_typer(mail_app, name="mail")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

STOP_TIMEOUT = 20.0  # seconds children get to stop before they are killed


def fail(message: str, hint: str = "") -> NoReturn:
    err.print(Text.assemble(("Error: ", "bold red"), (message, "red")))
    if hint:
        err.print(Text(hint, style="dim"))
    raise typer.Exit(1)


def setup_django() -> None:
    """Load the settings and apps once; configuration errors become a clean exit 1."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    from steward.config import ConfigError

    try:
        import django
        from django.apps import apps

        if not apps.ready:
            django.setup()
    except ConfigError as exc:
        fail(f"configuration: {exc}", "Fix the STEWARD_* variable, then run `steward check`.")


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    """Turn the errors a user can cause into a message and exit status 1."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.core.management.base import CommandError
    from django.db import DatabaseError, InterfaceError, OperationalError

    try:
        yield
    except ValidationError as exc:
        fail(_validation_text(exc))
    except PermissionDenied as exc:
        fail(str(exc) or "permission denied")
    except CommandError as exc:
        fail(str(exc))
    except (OperationalError, InterfaceError) as exc:
        fail(
            f"database unavailable: {' '.join(str(exc).split())}",
            "Check STEWARD_DATABASE_URL, or run `steward check`.",
        )
    except DatabaseError as exc:
        fail(f"database error: {exc}", "Run `steward migrate`, or `steward check` to diagnose.")


def _validation_text(exc: Any) -> str:
    if hasattr(exc, "message_dict"):
        parts = []
        for name, messages in exc.message_dict.items():
            label = "" if name == "__all__" else f"{name}: "
            parts.append(label + " ".join(messages))
        return "; ".join(parts)
    return " ".join(exc.messages)


# --- serve / worker ---------------------------------------------------------------------


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _url(host: str, port: int) -> str:
    return f"http://{_bind(host, port)}"


def _require_migrated() -> None:
    from steward.core.services.system_check import pending_migrations

    with domain_errors():
        pending = pending_migrations()
    if pending:
        fail(
            f"the database has {len(pending)} unapplied migration(s), starting with {pending[0]}",
            "Run `steward migrate` first.",
        )


# Threads per web worker process (gthread). A check-in holds its thread until the process's
# heartbeat writer has committed it, so the threads bound the group-commit batch: PostgreSQL,
# where every commit waits for a WAL flush, needs more of them than SQLite (bench/ingest.py,
# docs/benchmarks.md).
DEFAULT_THREADS = {"sqlite": 8, "postgresql": 32}


def default_threads(vendor: str) -> int:
    return DEFAULT_THREADS.get(vendor, 16)


def _gunicorn_argv(
    host: str, port: int, workers: int, threads: int = 8, access_log: bool = True
) -> list[str]:
    from gunicorn.config import KNOWN_SETTINGS

    argv = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", _bind(host, port)]
    argv += ["-k", "gthread", "--threads", str(threads), "--graceful-timeout", "15"]
    # Keep-alive connections: agents and their proxies reuse one connection per device.
    argv += ["--keep-alive", "75", "--backlog", "2048"]
    if access_log:
        argv += ["--access-logfile", "-"]
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # Newer gunicorn opens a control socket in the home directory; Steward does not use
        # it, and two servers on one machine would fight over the path.
        argv.append("--no-control-socket")
    return [*argv, "steward.wsgi:application"]


class _Children:
    """Child processes stopped together on SIGINT/SIGTERM or when any one of them exits."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.optional: set[str] = set()  # may exit without stopping the others
        self.stopping = False
        # Installed before any child starts, so an early Ctrl-C cannot orphan one.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)

    def start(self, name: str, argv: list[str], *, optional: bool = False) -> None:
        self.procs[name] = subprocess.Popen(argv)  # noqa: S603  (our own interpreter and arguments)
        if optional:
            self.optional.add(name)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def wait(self) -> int:
        code = 0
        while not self.stopping:
            exited = {name: proc.returncode for name, proc in self.procs.items() if proc.poll() is not None}
            for name in [name for name in exited if name in self.optional]:
                err.print(
                    Text(
                        f"{name} exited with status {exited.pop(name)}; the rest keeps running.",
                        style="yellow",
                    )
                )
                self.optional.discard(name)
                self.procs.pop(name)
            if exited:
                name, returncode = next(iter(exited.items()))
                err.print(Text(f"{name} exited with status {returncode}; stopping.", style="red"))
                code = returncode or 1
                break
            time.sleep(0.2)
        self.stop()
        return code

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(2, min=1, max=64, help="Web worker processes (gunicorn)."),
    with_worker: bool = typer.Option(False, "--with-worker", help="Also run the jobs worker."),
    threads: int = typer.Option(
        0, min=0, max=256, help="Threads per web worker (gthread); 0: 8 on SQLite, 32 on PostgreSQL."
    ),
    access_log: bool | None = typer.Option(
        None, "--access-log/--no-access-log", help="Log every request (default: on, off with --simulate)."
    ),
    simulate_agents: int = typer.Option(
        0, "--simulate", min=0, max=100_000, help="Also run N simulated agents against this server (demo)."
    ),
) -> None:
    """Run the web server (gunicorn), optionally with the jobs worker and simulated agents."""
    setup_django()
    _require_migrated()
    children = _Children()
    if not threads:
        from django.db import connection

        threads = default_threads(connection.vendor)
    if access_log is None:
        access_log = not simulate_agents  # simulated check-ins would drown the log
    children.start("web server", _gunicorn_argv(host, port, workers, threads, access_log))
    if with_worker:
        children.start("jobs worker", [sys.executable, "-m", "steward.cli", "worker"])
    if simulate_agents:
        argv = [sys.executable, "-m", "steward.cli", "simulate", "--agents", str(simulate_agents)]
        argv += ["--server", _url(host, port), "--duration", "0", "--quiet"]
        # A simulator that cannot start (no demo data) must not take the server down with it.
        children.start("simulator", argv, optional=True)
    extras = [
        "the jobs worker" if with_worker else "",
        f"{simulate_agents} simulated agents" if simulate_agents else "",
    ]
    extra = " and ".join(part for part in extras if part)
    out.print(
        Text.assemble(
            "Steward is running on ",
            (_url(host, port), "bold green"),
            f"{' with ' + extra if extra else ''} (Ctrl-C to stop)",
        )
    )
    code = children.wait()
    out.print("Stopped.")
    raise typer.Exit(code)


@app.command()
def worker(
    workers: int = typer.Option(2, min=1, max=64, help="Worker threads running jobs."),
) -> None:
    """Run the jobs worker (Huey consumer) with its scheduler for periodic jobs."""
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if getattr(settings.HUEY, "immediate", False):
        fail("STEWARD_JOBS_IMMEDIATE is on: jobs run inline and there is nothing to consume.")
    _require_migrated()
    from steward.jobs import queue_health

    health = queue_health(settings.HUEY)
    if not health["ok"]:
        fail(
            f"the job queue is unreachable ({health['error']}).",
            "Check STEWARD_REDIS_URL, or run `steward check`.",
        )
    # Log through Django's LOGGING (the root handler) instead of a second huey handler.
    logging.getLogger("huey").addHandler(logging.NullHandler())
    with domain_errors():
        call_command(
            "run_huey",
            workers=workers,
            worker_type="thread",
            periodic=True,
            graceful_signal="TERM",
            shutdown_timeout=STOP_TIMEOUT - 5,
        )


@app.command()
def simulate(
    agents: int = typer.Option(..., "--agents", "-n", min=1, max=1_000_000, help="How many virtual agents."),
    server: str = typer.Option(
        "", help="Server URL (default: STEWARD_SITE_URL, else http://127.0.0.1:8000)."
    ),
    token: str = typer.Option(
        "", help="Enrollment token for every agent (default: make tokens for the demo clients and sites)."
    ),
    duration: float = typer.Option(0, min=0, help="Seconds to run; 0 runs until Ctrl-C."),
    interval: float | None = typer.Option(
        None, min=0, help="Seconds between check-ins, overriding the server's interval (0: back to back)."
    ),
    speed: float = typer.Option(
        1.0, min=0.001, help="Divide the server's interval by this (10: ten times faster)."
    ),
    seed: int = typer.Option(1, help="Fleet seed: the same seed gives the same machines."),
    connections: int = typer.Option(100, min=1, max=10_000, help="HTTP connection pool size."),
    state: str = typer.Option(
        "",
        help="State file keeping credentials between runs (default: in the data dir, with tokens made here).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print a line a minute instead of every 10 s."),
) -> None:
    """Run N virtual agents speaking the real protocol over HTTP against a server."""
    import asyncio
    from pathlib import Path

    from steward.devices.simulator.runner import SimulationConfig, Target, run_simulation

    state_file: Path | None = Path(state).expanduser() if state else None
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    if token:
        targets = [Target(token.strip())]
    else:
        setup_django()
        _require_migrated()
        from steward.config import data_dir
        from steward.devices.simulator.enrollment import NoProvider, demo_targets

        if state_file is None:
            state_file = data_dir() / "simulator" / f"seed-{seed}.json"
        with domain_errors():
            try:
                targets = demo_targets(seed, state_file)
            except NoProvider as exc:
                fail(str(exc))
    url = (server or os.environ.get("STEWARD_SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
    started = time.monotonic()

    def progress(stats: Any, elapsed: float) -> None:
        s = stats.as_dict()
        out.print(
            f"simulator {elapsed:.0f}s: {s['enrolled']} enrolled, {s['heartbeats']} heartbeats "
            f"({s['heartbeat_errors']} errors, p99 {s['p99_ms']} ms), {s['inventories']} inventories, "
            f"{s['gone']} gone for good",
            soft_wrap=True,
        )

    config = SimulationConfig(
        server=url,
        agents=agents,
        targets=targets,
        duration=duration,
        interval=interval,
        speed=speed,
        seed=seed,
        connections=connections,
        state_file=state_file,
        progress=progress,
        progress_every=60.0 if quiet else 10.0,
    )
    out.print(
        f"Simulating {agents} agents (seed {seed}) against {url} over {len(targets)} enrollment token(s)"
        f"{f' for {duration:g} s' if duration else ' until stopped'}."
    )

    async def main() -> Any:
        config.stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, config.stop.set)
        return await run_simulation(config)

    stats = asyncio.run(main())
    summary = stats.as_dict()
    table = Table(title=f"Simulation ({time.monotonic() - started:.0f} s)", title_justify="left")
    table.add_column("Measure")
    table.add_column("Value", justify="right")
    for key, value in summary.items():
        table.add_row(key.replace("_", " "), str(value))
    out.print(table)


# --- setup ------------------------------------------------------------------------------


@app.command()
def migrate(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show each migration.")) -> None:
    """Create or update the database tables."""
    setup_django()
    from django.core.management import call_command

    from steward.core import audit
    from steward.core.services.system_check import pending_migrations

    with domain_errors(), audit.acting_as(audit.Actor.system("cli:migrate")):
        pending = pending_migrations()
        call_command("migrate", interactive=False, verbosity=1 if verbose else 0)
    if pending:
        out.print(f"[green]✓[/green] Applied {len(pending)} migration(s).")
    else:
        out.print("[green]✓[/green] Database already up to date.")


@app.command()
def createadmin(
    email: str = typer.Option(..., help="E-mail address (the login)."),
    name: str = typer.Option(..., help="Full name."),
    password: str | None = typer.Option(
        None, help="Password (prompted for, twice, when left out; avoid it on shared machines)."
    ),
    provider_name: str | None = typer.Option(
        None, "--provider-name", help="Name of your company; needed when no provider exists yet."
    ),
) -> None:
    """Create a provider admin account (and the provider itself on a fresh install)."""
    setup_django()
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from django.db import transaction
    from django.utils.text import slugify

    from steward.core import audit
    from steward.core.models import Provider, User
    from steward.core.roles import Role
    from steward.core.scoping import Scope
    from steward.core.services import tenancy

    _require_migrated()
    email = email.strip().lower()
    name = name.strip()
    if not name:
        fail("name: the name cannot be empty.")
    try:
        validate_email(email)
    except ValidationError:
        fail(f"email: {email!r} is not a valid e-mail address.")
    with domain_errors():
        if User.unscoped.filter(email__iexact=email).exists():
            fail(f"an account with the e-mail {email} already exists.")
        provider = Provider.objects.order_by("pk").first()
        if provider is None and not (provider_name or "").strip():
            fail("no provider exists yet: give your company's name with --provider-name.")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with domain_errors(), audit.acting_as(audit.Actor.system("cli:createadmin")), transaction.atomic():
        if provider is None:
            assert provider_name is not None
            slug = slugify(provider_name)[:60] or "provider"
            provider = Provider(name=provider_name.strip(), slug=slug)
            provider.full_clean()
            provider.save()
        scope = Scope.system(provider.pk, label="cli:createadmin")
        tenancy.create_user(
            scope, None, {"email": email, "full_name": name, "role": Role.PROVIDER_ADMIN}, password=password
        )
    out.print(Text.assemble(("✓ ", "green"), f"Created provider admin {email} for {provider.name}."))


@app.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the install already has data."),
) -> None:
    """Load demo data: a provider, three clients and a login for every role."""
    setup_django()
    from django.conf import settings

    from steward.core.services import demo as demo_service

    _require_migrated()
    started = time.monotonic()
    with domain_errors():
        try:
            result = demo_service.seed(if_empty=if_empty)
        except demo_service.DemoError as exc:
            fail(str(exc))
    if result.provider is None:
        out.print(f"Demo data not loaded: {result.skipped_reason}.")
        return
    if result.created:
        out.print(
            f"[green]✓[/green] Demo data loaded ({result.created_rows} records, "
            f"{time.monotonic() - started:.1f}s)."
        )
    else:
        out.print("Demo data already present; nothing changed.")
    table = Table(title=f"Demo logins for {result.provider.name}", title_justify="left")
    table.add_column("E-mail", no_wrap=True)
    table.add_column("Role")
    table.add_column("Client")
    for login in result.logins:
        table.add_row(Text(login.email), Text(login.role_label), Text(login.client or "—"))
    out.print(table)
    out.print(
        Text.assemble(
            "Password for all: ",
            (result.password, "bold"),
            "   Sign in at ",
            (str(settings.SITE_URL), "bold green"),
        )
    )


# --- diagnostics ------------------------------------------------------------------------

STATUS_MARKS = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "red"), "skipped": ("-", "dim")}


@app.command()
def check() -> None:
    """Diagnose configuration, secret key, database, queue, scheduler and e-mail."""
    from steward.core.services.system_check import all_passed, run_checks

    results = run_checks()
    table = Table(show_header=True, header_style="bold")
    table.add_column("", width=1)
    table.add_column("Check", no_wrap=True)
    table.add_column("Result")
    table.add_column("Hint", style="dim")
    for result in results:
        mark, style = STATUS_MARKS[result.status.value]
        table.add_row(Text(mark, style=style), Text(result.name), Text(result.detail), Text(result.hint))
    out.print(table)
    if not all_passed(results):
        failed = sum(result.failed for result in results)
        err.print(Text(f"{failed} check(s) failed.", style="bold red"))
        raise typer.Exit(1)
    out.print("[green]All checks passed.[/green]")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain: every entry present, unaltered and linked to the previous one."""
    setup_django()
    _require_migrated()
    from steward.core.audit import verify_chain

    with domain_errors():
        report = verify_chain()
    if not report.ok:
        fail(
            f"audit chain broken at entry #{report.first_broken_seq}: {report.reason} "
            f"({report.checked} entries before it are intact)."
        )
    out.print(f"[green]✓ OK[/green]: {report.checked} audit entries verified, chain intact.")


@audit_app.command("tail")
def audit_tail(
    n: int = typer.Option(20, "-n", "--lines", min=1, max=10000, help="How many entries."),
) -> None:
    """Show the latest audit entries, oldest first."""
    setup_django()
    _require_migrated()
    from steward.core.models import AuditEntry

    with domain_errors():
        entries = list(AuditEntry.unscoped.order_by("-seq")[:n])
    if not entries:
        out.print("The audit trail is empty.")
        return
    table = Table(title=f"Last {len(entries)} audit entries", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("When (UTC)", no_wrap=True)
    table.add_column("Actor")
    table.add_column("Action")
    table.add_column("Object")
    table.add_column("Client", justify="right")
    for entry in reversed(entries):
        when = entry.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        what = f"{entry.object_type} {entry.object_repr or entry.object_id}".strip()
        table.add_row(
            str(entry.seq),
            when,
            Text(entry.actor_label),
            Text(entry.action),
            Text(what),
            str(entry.client_id or "—"),
        )
    out.print(table)


# --- SLA ----------------------------------------------------------------------------------


@sla_app.command("simulate")
def sla_simulate(
    calendar: str = typer.Option(..., "--calendar", "-c", help="Calendar, YAML file."),
    sla: str = typer.Option(..., "--sla", "-s", help="SLA policy, YAML file."),
    events: str = typer.Option(..., "--events", "-e", help="Ticket event log, JSON lines."),
    now: str = typer.Option(
        "", "--now", help="As of this time (ISO 8601 with offset, e.g. 2026-03-31T12:00:00Z); default: now."
    ),
) -> None:
    """Compute a ticket's SLA targets from files, with the service desk's engine, as JSON."""
    import json

    from steward.servicedesk import sla as engine
    from steward.servicedesk.sla.loader import parse_instant

    try:
        business_calendar = engine.load_calendar_yaml(calendar)
        policy = engine.load_policy_yaml(sla)
        log = engine.load_events_jsonl(events)
        moment = parse_instant(now, "--now") if now else dt.datetime.now(dt.UTC)
        outcome = engine.compute(log, policy, business_calendar, moment)
    except engine.SlaConfigError as exc:
        # Bad input files are bad arguments: one line, exit status 2, no traceback.
        err.print(Text.assemble(("Error: ", "bold red"), (str(exc), "red")), soft_wrap=True)
        raise typer.Exit(2) from None
    document = {
        "sla": policy.name,
        "calendar": business_calendar.name,
        "timezone": business_calendar.timezone,
        **outcome.to_dict(business_calendar.timezone),
    }
    typer.echo(json.dumps(document, indent=2))


# --- mail ---------------------------------------------------------------------------------


@mail_app.command("poll")
def mail_poll() -> None:
    """Fetch new mail of every enabled IMAP mailbox once (the worker does this every minute)."""
    setup_django()
    from steward.servicedesk.models import Mailbox
    from steward.servicedesk.services import mail_in

    _require_migrated()
    failures = 0
    mailboxes = list(Mailbox.objects.filter(enabled=True).exclude(imap_host=""))
    if not mailboxes:
        out.print("No mailbox with an IMAP server is configured.")
        return
    for mailbox in mailboxes:
        try:
            count = mail_in.poll_mailbox(mailbox)
        except Exception as exc:  # one mailbox failing must not hide the others
            failures += 1
            err.print(f"[red]✗[/red] {mailbox.address}: {exc}")
        else:
            out.print(f"[green]✓[/green] {mailbox.address}: {count} new message(s)")
    if failures:
        raise typer.Exit(1)


@mail_app.command("listen")
def mail_listen(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(2525, help="TCP port (25 needs root; put it behind your MTA)."),
) -> None:
    """Accept support mail over SMTP for the configured mailbox addresses."""
    setup_django()
    from django.conf import settings

    from steward.servicedesk.mail.smtp_listener import build_inbound_server
    from steward.servicedesk.services import mail_in

    _require_migrated()
    try:
        server = build_inbound_server(
            host, port, mail_in.receive_smtp, settings.SERVICEDESK_MAX_MESSAGE_BYTES
        )
        server.start()
    except OSError as exc:
        fail(f"Cannot listen on {host}:{port}: {exc.strerror or exc}")
    out.print(f"Receiving support mail on smtp://{host}:{port} (Ctrl+C stops).")

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        out.print("Stopped.")
    finally:
        server.stop()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
