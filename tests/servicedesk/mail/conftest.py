"""Fixtures for the mail layer: the sample corpus, a private Dovecot IMAP server and a
local SMTP server, each a real process or socket (no mocks)."""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

SAMPLES = Path(__file__).parent / "samples"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
IMAP_PASSWORD = "Pa55-w0rd-in-no-log"
ACCOUNTS = 200  # one fresh account per IMAP test and worker


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sample_names() -> list[str]:
    return sorted(p.name for p in SAMPLES.iterdir() if p.is_file())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1, trusted only by our test clients."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    files = TlsFiles(directory / "cert.pem", directory / "key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    # Dovecot's config reader may run as another user when we are root.
    os.chmod(directory, 0o755)  # noqa: S103 - a throwaway test directory
    os.chmod(files.cert, 0o644)
    os.chmod(files.key, 0o644)
    return files


@dataclass
class Dovecot:
    host: str
    port: int  # plain IMAP, STARTTLS offered
    ssl_port: int  # implicit TLS
    user: str
    password: str
    tls: TlsFiles
    log: Path
    _clients: list[imaplib.IMAP4] = field(default_factory=list)

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        self._clients.append(conn)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX", flags: str | None = None) -> int:
        """Deliver a message through the server (IMAP APPEND); returns its UID."""
        conn = self.client()
        status, data = conn.append(folder, flags, None, raw)
        assert status == "OK", data
        # "[APPENDUID <validity> <uid>] Append completed."
        return int(data[0].split(b"]")[0].split()[-1])

    def flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        conn = self.client()
        conn.select(folder, readonly=True)
        _, data = conn.uid("FETCH", "1:*", "(FLAGS)")
        result: dict[int, set[str]] = {}
        for line in data:
            if not isinstance(line, bytes):
                continue
            text = line.decode()
            uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
            flags = text.split("FLAGS (")[1].split(")")[0].split()
            result[uid] = set(flags) - {"\\Recent"}  # \\Recent depends on the session
        return result

    def close(self) -> None:
        for conn in self._clients:
            with contextlib.suppress(Exception):
                conn.logout()


def _mail_owner() -> tuple[int, int, str]:
    """The user that owns the mail files: Dovecot refuses root, so root uses nobody."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid, "root"
    entry = pwd.getpwuid(os.geteuid())
    return entry.pw_uid, entry.pw_gid, entry.pw_name


def _dovecot_config(base: Path, port: int, ssl_port: int, tls: TlsFiles) -> str:
    uid, gid, process_user = _mail_owner()
    unprivileged = "" if os.geteuid() == 0 else (
        f"default_internal_user = {process_user}\n"
        f"default_login_user = {process_user}\n"
        f"default_internal_group = {pwd.getpwnam(process_user).pw_gid}\n"
    )  # fmt: skip
    return f"""
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
instance_name = steward-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{tls.cert}
ssl_key = <{tls.key}
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{base}/mail/%u
{unprivileged}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%u
}}
# No growing delay after failed logins (a test fails one on purpose): mode 0 disables
# the auth penalty socket.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
"""


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dovecot exited with {proc.returncode}: {_read(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.02)  # polling for readiness, not timing a test
    raise RuntimeError(f"dovecot did not listen on {port} within 15 s: {_read(log)}")


def _read(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"


def _missing_dovecot(reason: str) -> NoReturn:
    if os.environ.get("STEWARD_REQUIRE_MAIL") == "1":
        pytest.fail(f"{reason} and STEWARD_REQUIRE_MAIL=1 (run scripts/install-mailserver.sh)")
    pytest.skip(f"{reason}: run scripts/install-mailserver.sh for the real-IMAP tests")


@dataclass
class DovecotServer:
    host: str
    port: int
    ssl_port: int
    base: Path
    tls: TlsFiles
    log: Path
    users: int = 0

    def add_user(self) -> tuple[str, str]:
        """A fresh account with an empty mailbox."""
        self.users += 1
        if self.users > ACCOUNTS:
            raise RuntimeError(f"more than {ACCOUNTS} IMAP tests in one worker: raise ACCOUNTS")
        return _account(self.users)


def _account(number: int) -> tuple[str, str]:
    return f"desk{number}", f"{IMAP_PASSWORD}-{number}"


@pytest.fixture(scope="session")
def dovecot_server(tls_files: TlsFiles) -> Iterator[DovecotServer]:
    """A private Dovecot on free ports of 127.0.0.1 (one per xdist worker)."""
    if not os.path.exists(DOVECOT):
        _missing_dovecot("Dovecot is not installed")
    # Not pytest's tmp_path: its parents are mode 0700 and Dovecot's mail process runs
    # as another user when we are root.
    base = Path(tempfile.mkdtemp(prefix="steward-dovecot-"))
    os.chmod(base, 0o755)  # noqa: S103 - a throwaway test directory
    uid, gid, _ = _mail_owner()
    for sub in ("run", "state", "mail"):
        (base / sub).mkdir()
    os.chown(base / "mail", uid, gid)
    # All accounts up front: Dovecot notices passwd-file changes only by modification time.
    (base / "users").write_text("".join("{}:{}\n".format(*_account(n)) for n in range(1, ACCOUNTS + 1)))
    log = base / "dovecot.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        for _attempt in range(3):  # a free port can be taken again before Dovecot binds it
            port, ssl_port = free_port(), free_port()
            config = base / "dovecot.conf"
            config.write_text(_dovecot_config(base, port, ssl_port, tls_files))
            proc = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
            )
            try:
                _wait_listening(proc, port, log)
                _wait_listening(proc, ssl_port, log)
                break
            except RuntimeError:
                _stop(proc)
                proc = None
        if proc is None:
            _missing_dovecot(f"Dovecot would not start: {_read(log)}")
        yield DovecotServer("127.0.0.1", port, ssl_port, base, tls_files, log)
    finally:
        if proc is not None:
            _stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> Iterator[Dovecot]:
    """The worker's Dovecot with a new account, so every test starts with an empty mailbox."""
    user, password = dovecot_server.add_user()
    server = Dovecot(
        dovecot_server.host,
        dovecot_server.port,
        dovecot_server.ssl_port,
        user,
        password,
        dovecot_server.tls,
        dovecot_server.log,
    )
    yield server
    server.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
