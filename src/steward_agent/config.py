"""Where the agent keeps its settings, its credential and its runtime state.

The state dir is ``--state-dir``, else ``$STEWARD_AGENT_STATE_DIR``, else the platform's
default (/var/lib/steward-agent, %ProgramData%\\Steward\\Agent, /Library/Application
Support/Steward/Agent). It is created 0700 and every file in it is written 0600 via a
temporary file and an atomic rename, so a crash never leaves half a credential behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
import stat
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ENV_STATE_DIR = "STEWARD_AGENT_STATE_DIR"
SETTINGS_FILE = "config.json"
CREDENTIAL_FILE = "credential.json"
STATE_FILE = "state.json"
SPOOL_FILE = "spool.sqlite3"


def default_state_dir() -> Path:
    env = os.environ.get(ENV_STATE_DIR)
    if env:
        return Path(env)
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "Steward" / "Agent"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/Steward/Agent")
    return Path("/var/lib/steward-agent")


class ConfigError(Exception):
    """The state dir or one of its files is unusable (the message says which and why)."""


@dataclass
class Settings:
    """Operator settings (config.json): where the server is and how the agent behaves."""

    server_url: str = ""
    ca_bundle: str | None = None
    allow_http: bool = False
    spool_max_messages: int = 2000
    spool_max_bytes: int = 64 * 1024 * 1024
    inventory_check_seconds: int = 3600  # how often the inventory is re-collected and hashed
    collector_timeout: float = 120.0
    command_timeout: float = 30.0
    restic_repository: str | None = None
    restic_password_file: str | None = None
    borg_repository: str | None = None
    borg_passcommand: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            log.warning("ignoring unknown settings in %s: %s", SETTINGS_FILE, ", ".join(unknown))
        return cls(**{k: v for k, v in data.items() if k in known})

    def collector_settings(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in dataclasses.asdict(self).items()
            if k.startswith(("restic_", "borg_")) and v is not None
        }


@dataclass
class Credentials:
    device_id: uuid.UUID
    credential: str
    enrolled_at: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "device_id": str(self.device_id),
            "credential": self.credential,
            "enrolled_at": self.enrolled_at,
        }


@dataclass
class RuntimeState:
    """What the run loop remembers between restarts (state.json)."""

    interval_seconds: int = 60
    last_checkin_at: str | None = None
    last_inventory_hash: str | None = None  # the last one the server acknowledged
    last_inventory_sent_at: str | None = None
    last_error: str | None = None
    enrolled_identity: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuntimeState:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (0600), atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if os.name == "posix":
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class StateDir:
    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_state_dir()

    def __repr__(self) -> str:
        return f"StateDir({str(self.path)!r})"

    @property
    def credential_path(self) -> Path:
        return self.path / CREDENTIAL_FILE

    @property
    def spool_path(self) -> Path:
        return self.path / SPOOL_FILE

    def ensure(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            if os.name == "posix":
                os.chmod(self.path, 0o700)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the state directory {self.path}: {exc.strerror or exc}"
            ) from exc

    def _read_json(self, name: str) -> dict[str, Any] | None:
        path = self.path / name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except PermissionError as exc:
            raise ConfigError(f"cannot read {path}: permission denied (run as the agent's user)") from exc
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path} does not hold a JSON object")
        return data

    def _write_json(self, name: str, data: dict[str, Any]) -> None:
        self.ensure()
        try:
            write_private(self.path / name, json.dumps(data, indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            raise ConfigError(f"cannot write {self.path / name}: {exc.strerror or exc}") from exc

    # settings
    def load_settings(self) -> Settings:
        data = self._read_json(SETTINGS_FILE)
        try:
            return Settings.from_dict(data or {})
        except TypeError as exc:
            raise ConfigError(f"invalid {SETTINGS_FILE}: {exc}") from exc

    def save_settings(self, settings: Settings) -> None:
        self._write_json(SETTINGS_FILE, dataclasses.asdict(settings))

    # credential
    def load_credentials(self) -> Credentials | None:
        data = self._read_json(CREDENTIAL_FILE)
        if data is None:
            return None
        if os.name == "posix":
            mode = stat.S_IMODE(os.stat(self.credential_path).st_mode)
            if mode & 0o077:
                log.warning(
                    "%s is accessible to others (mode %o); fixing to 0600", self.credential_path, mode
                )
                os.chmod(self.credential_path, 0o600)
        try:
            return Credentials(
                uuid.UUID(str(data["device_id"])), str(data["credential"]), str(data.get("enrolled_at", ""))
            )
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"invalid {self.credential_path}: {exc}") from exc

    def save_credentials(self, creds: Credentials) -> None:
        if not creds.enrolled_at:
            creds.enrolled_at = dt.datetime.now(dt.UTC).isoformat()
        self._write_json(CREDENTIAL_FILE, creds.to_dict())

    # runtime state
    def load_state(self) -> RuntimeState:
        try:
            data = self._read_json(STATE_FILE)
        except ConfigError as exc:
            log.warning("starting with a fresh runtime state: %s", exc)
            data = None
        return RuntimeState.from_dict(data or {})

    def save_state(self, state: RuntimeState) -> None:
        self._write_json(STATE_FILE, dataclasses.asdict(state))

    def remove(self) -> None:
        """Delete the state dir; the credential is overwritten before it is unlinked."""
        if not self.path.exists():
            return
        with contextlib.suppress(OSError):
            size = self.credential_path.stat().st_size
            with open(self.credential_path, "r+b") as fh:
                fh.write(b"\0" * size)
                fh.flush()
                os.fsync(fh.fileno())
        shutil.rmtree(self.path)
