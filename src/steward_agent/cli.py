"""``steward-agent``: enroll, run (the service), status, collect --print, uninstall.

Exit codes: 0 success, 1 failure (message on stderr), 2 bad arguments (with usage),
78 the server no longer accepts this device's credential: enroll again.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import stat
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steward_agent import __version__
from steward_agent.collectors.base import SECTIONS, Context, Unavailable, current_platform, run_command, which
from steward_agent.config import ConfigError, Credentials, RuntimeState, StateDir
from steward_agent.heartbeat import build_heartbeat
from steward_agent.identity import collect_identity
from steward_agent.inventory import NIL_DEVICE, collect_inventory
from steward_agent.runner import Agent, ReEnrollRequired, clamp_interval
from steward_agent.spool import Spool
from steward_agent.transport import AgentClient, ServerRefused, TransportError, normalise_server_url
from steward_protocol.messages import EnrollRequest

log = logging.getLogger("steward_agent")

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_REENROLL = 0, 1, 2, 78
SYSTEMD_UNIT = Path("/etc/systemd/system/steward-agent.service")
LAUNCHD_PLIST = Path("/Library/LaunchDaemons/com.steward.agent.plist")
WINDOWS_SERVICE = "StewardAgent"


class Failure(Exception):
    """A user-facing error: printed as is, exit 1."""


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(f"steward-agent: {text}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="steward-agent", description="The Steward endpoint agent.", allow_abbrev=False
    )
    parser.add_argument("--version", action="version", version=f"steward-agent {__version__}")
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="where the credential, settings and spool live (default: $STEWARD_AGENT_STATE_DIR "
        "or /var/lib/steward-agent)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    enroll = sub.add_parser("enroll", help="join a Steward server with an enrollment token")
    enroll.add_argument("--server", required=True, help="the server's URL, e.g. https://steward.example.com")
    enroll.add_argument("--token", required=True, help="the enrollment token (ste_…) shown in Steward")
    enroll.add_argument("--ca-bundle", help="PEM file of the CA(s) to trust instead of the system store")
    enroll.add_argument(
        "--allow-http",
        action="store_true",
        help="allow a plain-http server URL (labs only; never in production)",
    )

    run = sub.add_parser("run", help="check in until stopped (what the service runs)")
    run.add_argument("--once", action="store_true", help="one check-in, then exit")

    status = sub.add_parser("status", help="show enrollment, last check-in and the spool")
    status.add_argument("--json", action="store_true", help="print as JSON")

    collect = sub.add_parser("collect", help="collect what the agent would send and print it as JSON")
    collect.add_argument("--print", action="store_true", dest="print_", help="print the JSON (the default)")
    collect.add_argument("--heartbeat", action="store_true", help="the heartbeat instead of the inventory")
    collect.add_argument("--section", choices=SECTIONS, action="append", help="only these inventory sections")

    uninstall = sub.add_parser("uninstall", help="remove the service, the credential and all agent state")
    uninstall.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    uninstall.add_argument("--keep-service", action="store_true", help="leave the service definition alone")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    state_dir = StateDir(args.state_dir)
    handlers = {
        "enroll": cmd_enroll,
        "run": cmd_run,
        "status": cmd_status,
        "collect": cmd_collect,
        "uninstall": cmd_uninstall,
    }
    try:
        return handlers[args.command](args, state_dir, parser)
    except ReEnrollRequired as exc:
        _err(
            f"the server rejected this device's credential ({exc}). "
            "Re-enroll: steward-agent enroll --server URL --token TOKEN"
        )
        return EXIT_REENROLL
    except (Failure, ConfigError) as exc:
        _err(str(exc))
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130


# --- enroll ---------------------------------------------------------------------------


def cmd_enroll(args: argparse.Namespace, state_dir: StateDir, parser: argparse.ArgumentParser) -> int:
    try:
        server = normalise_server_url(args.server, allow_http=args.allow_http)
    except ValueError as exc:
        parser.error(f"--server: {exc}")
    token = args.token.strip()
    if not 10 <= len(token) <= 200:
        parser.error("--token: that is not an enrollment token (10 to 200 characters)")
    if args.ca_bundle and not os.path.isfile(args.ca_bundle):
        parser.error(f"--ca-bundle: no such file: {args.ca_bundle}")
    state_dir.ensure()  # fail before the token is spent if the state dir is unusable
    settings = state_dir.load_settings()
    request = EnrollRequest(
        token=token,
        identity=collect_identity(),
        os_family=current_platform() or "unknown",
        agent_version=__version__,
    )
    try:
        with AgentClient(server, ca_bundle=args.ca_bundle, allow_http=args.allow_http) as client:
            response = client.enroll(request)
    except ValueError as exc:
        raise Failure(str(exc)) from exc
    except TransportError as exc:
        raise Failure(f"enrollment failed: {exc}") from exc
    except ServerRefused as exc:
        raise Failure(
            f"the server refused the enrollment ({exc.status}): {exc.detail or 'no detail'}"
        ) from exc
    settings.server_url = server
    settings.ca_bundle = os.path.abspath(args.ca_bundle) if args.ca_bundle else None
    settings.allow_http = bool(args.allow_http)
    state_dir.save_settings(settings)
    state_dir.save_credentials(Credentials(device_id=response.device_id, credential=response.credential))
    state = RuntimeState(
        interval_seconds=clamp_interval(response.checkin_interval),
        enrolled_identity=request.identity.model_dump(mode="json"),
    )
    state_dir.save_state(state)
    note = " (took over this machine's existing device record)" if response.reinstalled else ""
    _out(f"Enrolled with {server} as device {response.device_id}{note}.")
    _out(f"Credential stored in {state_dir.credential_path} (mode 0600).")
    return EXIT_OK


# --- run ------------------------------------------------------------------------------


def _load_enrolled(state_dir: StateDir) -> tuple[Any, Credentials]:
    settings = state_dir.load_settings()
    creds = state_dir.load_credentials()
    if creds is None or not settings.server_url:
        raise Failure(
            f"not enrolled (no credential in {state_dir.path}). "
            "Run: steward-agent enroll --server URL --token TOKEN"
        )
    return settings, creds


def cmd_run(args: argparse.Namespace, state_dir: StateDir, parser: argparse.ArgumentParser) -> int:
    settings, creds = _load_enrolled(state_dir)
    try:
        agent = Agent(state_dir, settings, creds)
    except ValueError as exc:
        raise Failure(str(exc)) from exc
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        log.info("received signal %d, stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    try:
        agent.run(stop, once=args.once)
    finally:
        agent.close()
    return EXIT_OK


# --- status ---------------------------------------------------------------------------


def status_report(state_dir: StateDir) -> dict[str, Any]:
    settings = state_dir.load_settings()
    creds = state_dir.load_credentials()
    state = state_dir.load_state()
    report: dict[str, Any] = {
        "version": __version__,
        "state_dir": str(state_dir.path),
        "enrolled": creds is not None,
        "server_url": settings.server_url or None,
        "device_id": str(creds.device_id) if creds else None,
        "enrolled_at": creds.enrolled_at if creds else None,
        "credential_file": str(state_dir.credential_path) if creds else None,
        "credential_mode": None,
        "interval_seconds": state.interval_seconds,
        "last_checkin_at": state.last_checkin_at,
        "last_inventory_sent_at": state.last_inventory_sent_at,
        "last_inventory_hash": state.last_inventory_hash,
        "last_error": state.last_error,
        "spool": None,
    }
    if creds and os.name == "posix":
        report["credential_mode"] = oct(stat.S_IMODE(os.stat(state_dir.credential_path).st_mode))
    if state_dir.spool_path.exists():
        with Spool(state_dir.spool_path) as spool:
            s = spool.stats()
        report["spool"] = {
            "messages": s.count,
            "bytes": s.bytes,
            "dropped": s.dropped,
            "refused": s.rejected,
            "oldest_queued_at": s.oldest_queued_at,
        }
    return report


def cmd_status(args: argparse.Namespace, state_dir: StateDir, parser: argparse.ArgumentParser) -> int:
    report = status_report(state_dir)
    if args.json:
        _out(json.dumps(report, indent=2))
        return EXIT_OK if report["enrolled"] else EXIT_FAIL
    _out(f"steward-agent {report['version']}, state in {report['state_dir']}")
    if not report["enrolled"]:
        _out("Not enrolled. Run: steward-agent enroll --server URL --token TOKEN")
        return EXIT_FAIL
    _out(f"Enrolled with {report['server_url']} as device {report['device_id']} ({report['enrolled_at']})")
    _out(f"Credential: {report['credential_file']} (mode {report['credential_mode'] or 'n/a'})")
    last = report["last_checkin_at"] or "never"
    _out(f"Check-in every {report['interval_seconds']} s; last check-in: {last}")
    hash_ = (report["last_inventory_hash"] or "")[:12]
    _out(
        f"Last inventory sent: {report['last_inventory_sent_at'] or 'never'}"
        + (f" (hash {hash_}…)" if hash_ else "")
    )
    spool = report["spool"] or {"messages": 0, "bytes": 0, "dropped": 0, "refused": 0}
    _out(
        f"Spool: {spool['messages']} message(s) waiting ({spool['bytes']} bytes); "
        f"{spool['dropped']} dropped when full, {spool['refused']} refused by the server"
    )
    if report["last_error"]:
        _out(f"Last error: {report['last_error']}")
    return EXIT_OK


# --- collect --------------------------------------------------------------------------


def cmd_collect(args: argparse.Namespace, state_dir: StateDir, parser: argparse.ArgumentParser) -> int:
    creds = None
    settings = None
    with contextlib.suppress(ConfigError):
        creds = state_dir.load_credentials()
        settings = state_dir.load_settings()
    device_id = creds.device_id if creds else NIL_DEVICE
    if args.heartbeat:
        heartbeat = build_heartbeat(device_id, collect_identity(), cpu_interval=0.5)
        _out(heartbeat.model_dump_json(indent=2))
        return EXIT_OK
    platform = current_platform()
    if platform is None:
        raise Failure(f"no collectors for this platform ({sys.platform})")
    from steward_agent.collectors.base import collectors_for

    chosen = collectors_for(platform)
    if args.section:
        chosen = [c for c in chosen if c.section in set(args.section)]
    writable = state_dir.path.is_dir() and os.access(state_dir.path, os.W_OK)
    ctx = Context(
        state_dir=state_dir.path if writable else None,
        settings=settings.collector_settings() if settings else {},
        command_timeout=settings.command_timeout if settings else 30.0,
    )
    inventory = collect_inventory(
        ctx,
        device_id=device_id,
        platform=platform,
        collectors=chosen,
        timeout=settings.collector_timeout if settings else None,
    )
    _out(inventory.model_dump_json(indent=2))
    return EXIT_OK


# --- uninstall ------------------------------------------------------------------------


def _remove_service() -> list[str]:
    done: list[str] = []
    platform = current_platform()
    try:
        if platform == "linux" and SYSTEMD_UNIT.exists() and which("systemctl"):
            run_command(["systemctl", "disable", "--now", "steward-agent.service"], timeout=60, ok_codes=None)
            SYSTEMD_UNIT.unlink()
            run_command(["systemctl", "daemon-reload"], timeout=60, ok_codes=None)
            done.append(f"removed the systemd unit {SYSTEMD_UNIT}")
        elif platform == "macos" and LAUNCHD_PLIST.exists():
            run_command(
                ["/bin/launchctl", "bootout", "system", str(LAUNCHD_PLIST)], timeout=60, ok_codes=None
            )
            LAUNCHD_PLIST.unlink()
            done.append(f"removed the launchd daemon {LAUNCHD_PLIST}")
        elif platform == "windows":
            task = run_command(["schtasks.exe", "/Query", "/TN", WINDOWS_SERVICE], timeout=30, ok_codes=None)
            if task.returncode == 0:
                run_command(["schtasks.exe", "/End", "/TN", WINDOWS_SERVICE], timeout=60, ok_codes=None)
                run_command(["schtasks.exe", "/Delete", "/TN", WINDOWS_SERVICE, "/F"], timeout=60)
                done.append(f"deleted the scheduled task {WINDOWS_SERVICE}")
            query = run_command(["sc.exe", "query", WINDOWS_SERVICE], timeout=30, ok_codes=None)
            if query.returncode == 0:  # installed under a service wrapper instead
                run_command(["sc.exe", "stop", WINDOWS_SERVICE], timeout=60, ok_codes=None)
                run_command(["sc.exe", "delete", WINDOWS_SERVICE], timeout=60)
                done.append(f"deleted the Windows service {WINDOWS_SERVICE}")
    except (Unavailable, RuntimeError, OSError) as exc:
        raise Failure(f"could not remove the service: {exc} (re-run with --keep-service to skip it)") from exc
    return done


def cmd_uninstall(args: argparse.Namespace, state_dir: StateDir, parser: argparse.ArgumentParser) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            parser.error("uninstall needs --yes when not run interactively")
        answer = input(f"Remove the agent service and everything in {state_dir.path}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            _out("Nothing removed.")
            return EXIT_OK
    done = [] if args.keep_service else _remove_service()
    if state_dir.path.exists():
        try:
            state_dir.remove()
        except OSError as exc:
            raise Failure(f"could not remove {state_dir.path}: {exc}") from exc
        done.append(f"removed {state_dir.path} (credential, settings, spool)")
    for line in done or ["nothing to remove"]:
        _out(line[0].upper() + line[1:] + ".")
    _out("The device stays listed in Steward until it is retired there.")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
