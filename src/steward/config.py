"""Runtime configuration read from ``STEWARD_*`` environment variables.

A fresh install needs none of them: data lives in ``./var/`` with SQLite and a secret
key generated once into the data directory with 0600 permissions.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigError(ValueError):
    """A ``STEWARD_*`` variable holds a value Steward cannot use."""


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def data_dir() -> Path:
    path = Path(os.environ.get("STEWARD_DATA_DIR") or Path.cwd() / "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """Return ``STEWARD_SECRET_KEY`` or the key stored in the data dir, creating it once."""
    from_env = os.environ.get("STEWARD_SECRET_KEY")
    if from_env:
        if len(from_env) < 32:
            raise ConfigError("STEWARD_SECRET_KEY must be at least 32 characters long")
        return from_env
    key_file = directory / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting at once must not both write a key.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


def sqlite_database(path: Path) -> dict[str, object]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # IMMEDIATE makes a writer take the lock at BEGIN, so the busy timeout applies
            # instead of an instant "database is locked" on a read-to-write upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=20000;"
                "PRAGMA foreign_keys=ON;"
            ),
        },
    }


def parse_database_url(url: str, *, default_sqlite: Path) -> dict[str, object]:
    """Turn ``postgresql://user:pw@host:port/name`` or ``sqlite:///path`` into Django settings."""
    if not url:
        return sqlite_database(default_sqlite)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"sqlite", "sqlite3"}:
        raw_path = unquote(parts.path)
        if not raw_path or raw_path == "/":
            raise ConfigError(f"database URL {url!r} names no SQLite file")
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them.
        return sqlite_database(Path(raw_path[1:]).resolve())
    if scheme in {"postgres", "postgresql", "postgresql+psycopg", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(f"database URL {url!r} names no database")
        options: dict[str, object] = {}
        query = parse_qs(parts.query)
        if "sslmode" in query:
            options["sslmode"] = query["sslmode"][0]
        if query.get("pool", ["0"])[0] in TRUE_WORDS:
            options["pool"] = True
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 0 if options.get("pool") else 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ConfigError(f"unsupported database URL scheme {scheme!r}: use postgresql://… or sqlite:///path")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool


def parse_smtp_url(url: str) -> SmtpSettings | None:
    """``smtp://user:pw@host:25``, ``smtp+starttls://…:587`` or ``smtps://…:465``."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps", "smtp+starttls"}:
        raise ConfigError(
            f"STEWARD_SMTP_URL scheme {parts.scheme!r}: use smtp://, smtp+starttls:// or smtps://"
        )
    if not parts.hostname:
        raise ConfigError("STEWARD_SMTP_URL names no host")
    default_port = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or default_port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=parts.scheme == "smtp+starttls",
        use_ssl=parts.scheme == "smtps",
    )
