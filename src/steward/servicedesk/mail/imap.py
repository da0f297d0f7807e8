"""Polling an IMAP mailbox without ever losing a message."""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .errors import MailTransportError, scrub

logger = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]
Handler = Callable[[int, bytes], bool]
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FETCH_UID = re.compile(rb"UID (\d+)")


@dataclass
class FetchReport:
    seen: int = 0  # unseen messages found (up to the limit)
    processed: list[int] = field(default_factory=list)  # UIDs persisted and marked
    failed: list[tuple[int, str]] = field(default_factory=list)  # left unseen, with why
    oversized: list[tuple[int, int]] = field(default_factory=list)  # (uid, bytes), left unseen


def encode_mailbox_name(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 §5.1.3), quoted for a command."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            utf16 = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(utf16).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    encoded = "".join(out)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapMailbox:
    """One mailbox to poll: ``fetch(handler)`` hands each unseen message to the handler
    and marks it seen (or moves it to ``processed_folder``) only when the handler
    returns True, i.e. has persisted it. A handler that raises or returns False
    leaves the message unseen for the next poll, so nothing is lost; the handler must
    therefore be idempotent (a crash between persisting and marking repeats a message).
    """

    def __init__(
        self,
        host: str,
        port: int | None = None,
        username: str = "",
        password: str = "",
        security: Security = "ssl",
        folder: str = "INBOX",
        processed_folder: str | None = None,
        *,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        max_message_bytes: int = 50 * 1024 * 1024,
    ) -> None:
        if security not in DEFAULT_PORTS:
            raise ValueError(f"security must be 'ssl', 'starttls' or 'none', not {security!r}")
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.username = username
        self._password = password
        self.security = security
        self.folder = folder
        self.processed_folder = processed_folder
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.max_message_bytes = max_message_bytes

    def __repr__(self) -> str:
        return f"ImapMailbox({self.username}@{self.host}:{self.port}/{self.folder}, {self.security})"

    def _fail(self, what: str, exc: BaseException) -> MailTransportError:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        text = scrub(f"{what} {self.host}:{self.port} failed: {detail or type(exc).__name__}", self._password)
        return MailTransportError(text)

    def connect(self) -> imaplib.IMAP4:
        """An authenticated connection (callers use ``fetch``; exposed for health checks)."""
        context = self.ssl_context or ssl.create_default_context()
        try:
            if self.security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=context, timeout=self.timeout
                )
            else:
                conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    conn.starttls(ssl_context=context)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise self._fail("IMAP connection to", exc) from exc
        try:
            self._login(conn)
        except (OSError, imaplib.IMAP4.error, UnicodeError) as exc:
            _logout(conn)
            # "from None": the original exception's arguments may carry the credentials.
            raise self._fail(f"IMAP login as {self.username!r} at", exc) from None
        return conn

    def _login(self, conn: imaplib.IMAP4) -> None:
        try:
            conn.login(self.username, self._password)
        except UnicodeEncodeError:
            # LOGIN is ASCII-only; AUTHENTICATE PLAIN carries UTF-8 credentials.
            secret = f"\0{self.username}\0{self._password}".encode()
            conn.authenticate("PLAIN", lambda _challenge: secret)

    def fetch(self, handler: Handler, *, limit: int = 100) -> FetchReport:
        """Hand up to ``limit`` unseen messages, oldest first, to ``handler(uid, raw)``."""
        report = FetchReport()
        conn = self.connect()
        try:
            self._select(conn)
            uids = self._unseen(conn)[:limit]
            report.seen = len(uids)
            capabilities = _capabilities(conn) if uids else set()
            for uid in uids:
                self._process(conn, uid, handler, report, capabilities)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise self._fail(f"IMAP polling of {self.folder!r} at", exc) from exc
        finally:
            _logout(conn)
        return report

    def _select(self, conn: imaplib.IMAP4) -> None:
        status, data = conn.select(encode_mailbox_name(self.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {self.folder!r}: {_text(data)}")
        if self.processed_folder:
            target = encode_mailbox_name(self.processed_folder)
            created = conn.create(target)  # NO when it exists already: fine
            if conn.status(target, "(MESSAGES)")[0] != "OK":
                # Found before any message is handled, not after the first one is stored.
                raise imaplib.IMAP4.error(
                    f"processed folder {self.processed_folder!r} cannot be created: {_text(created[1])}"
                )

    def _unseen(self, conn: imaplib.IMAP4) -> list[int]:
        status, data = conn.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise imaplib.IMAP4.error(f"search failed: {_text(data)}")
        return sorted(int(uid) for chunk in data if chunk for uid in chunk.split())

    def _process(
        self, conn: imaplib.IMAP4, uid: int, handler: Handler, report: FetchReport, capabilities: set[str]
    ) -> None:
        size = self._size(conn, uid)
        if size is None:
            report.failed.append((uid, "message vanished before it could be fetched"))
            return
        if size > self.max_message_bytes:
            logger.warning("%r: message UID %s has %s bytes, over the limit; left unseen", self, uid, size)
            report.oversized.append((uid, size))
            return
        raw = self._raw(conn, uid)
        if raw is None:
            report.failed.append((uid, "fetch returned no message"))
            return
        try:
            persisted = handler(uid, raw)
        except Exception as exc:
            logger.exception("%r: handler failed for UID %s; message left unseen", self, uid)
            report.failed.append((uid, f"handler raised {type(exc).__name__}: {exc}"))
            return
        if not persisted:
            report.failed.append((uid, "handler did not persist the message"))
            return
        self._mark_done(conn, uid, capabilities)
        report.processed.append(uid)

    def _size(self, conn: imaplib.IMAP4, uid: int) -> int | None:
        status, data = conn.uid("FETCH", str(uid), "(RFC822.SIZE)")
        for item in data if status == "OK" else []:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes) and (match := _FETCH_SIZE.search(line)):
                return int(match.group(1))
        return None

    def _raw(self, conn: imaplib.IMAP4, uid: int) -> bytes | None:
        # BODY.PEEK leaves \Seen alone: only a persisted message gets marked.
        status, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if status != "OK":
            return None
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                match = _FETCH_UID.search(item[0])
                if match is None or int(match.group(1)) == uid:
                    return item[1]
        return None

    def _mark_done(self, conn: imaplib.IMAP4, uid: int, capabilities: set[str]) -> None:
        if not self.processed_folder:
            _check(conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"), "mark as seen")
            return
        target = encode_mailbox_name(self.processed_folder)
        _check(conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"), "mark as seen")
        if "MOVE" in capabilities:
            _check(conn.uid("MOVE", str(uid), target), "move")
            return
        _check(conn.uid("COPY", str(uid), target), "copy")
        _check(conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), "flag as deleted")
        if "UIDPLUS" in capabilities:
            _check(conn.uid("EXPUNGE", str(uid)), "expunge")
        else:
            conn.expunge()


def _capabilities(conn: imaplib.IMAP4) -> set[str]:
    """Capabilities after login (servers announce MOVE/UIDPLUS only then)."""
    status, data = conn.capability()
    if status != "OK" or not data or not isinstance(data[0], bytes):
        return {c.upper() for c in conn.capabilities}
    return {c.upper() for c in data[0].decode("ascii", "replace").split()}


def _text(data: object) -> str:
    if isinstance(data, list) and data and isinstance(data[0], bytes):
        return data[0].decode("utf-8", "replace")
    return str(data)


def _check(response: tuple[str, object], what: str) -> None:
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what} failed: {_text(data)}")


def _logout(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(Exception):  # the connection is being dropped anyway
        conn.logout()
