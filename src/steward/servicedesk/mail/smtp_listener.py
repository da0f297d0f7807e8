"""An inbound SMTP server (aiosmtpd) that says "250" only once a mail is persisted.

``aiosmtpd`` is needed at runtime only when the listener is used (it is a dev
dependency of Steward today).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from .headers import normalize_address

logger = logging.getLogger(__name__)

# handler(mail_from, rcpt_tos, raw) -> True once the mail is stored. mail_from is ""
# for the null sender (bounces).
InboundHandler = Callable[[str, list[str], bytes], bool]


class InboundHandlerAdapter:
    """aiosmtpd hooks: recipient checks, and the persist-then-acknowledge rule."""

    def __init__(self, handler: InboundHandler, allowed_recipient_domains: Collection[str] | None) -> None:
        self.handler = handler
        self.allowed = {d.lower().rstrip(".") for d in allowed_recipient_domains or ()}

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        normalized = normalize_address(address)
        if normalized is None:
            return "553 5.1.3 Recipient address not valid"
        if self.allowed and normalized.rpartition("@")[2] not in self.allowed:
            return "550 5.1.1 No such recipient here"
        if len(envelope.rcpt_tos) >= 100:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(normalized)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        mail_from = envelope.mail_from or ""
        if mail_from.strip("<>").strip() == "":
            mail_from = ""
        loop = asyncio.get_running_loop()
        try:
            # The handler touches the database: run it off the event loop.
            persisted = await loop.run_in_executor(
                None, self.handler, mail_from, list(envelope.rcpt_tos), raw
            )
        except Exception:
            logger.exception("inbound mail from %r could not be stored; asked the sender to retry", mail_from)
            return "451 4.3.0 Temporary failure storing the message, please retry"
        if not persisted:
            return "451 4.3.0 Message not stored, please retry"
        return "250 2.0.0 OK: queued"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Port 0 lets the OS choose (tests); learn the real port before connecting.
        sockets = getattr(self.server, "sockets", None)
        if self.port == 0 and sockets:
            self.port = sockets[0].getsockname()[1]
        super()._trigger_server()


class InboundSmtpServer:
    """A running listener; ``start()``/``stop()`` or use it as a context manager."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    @property
    def host(self) -> str:
        return str(self.controller.hostname)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> InboundSmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> InboundSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_inbound_server(
    host: str,
    port: int,
    handler: InboundHandler,
    max_message_bytes: int,
    allowed_recipient_domains: Collection[str] | None = None,
    **smtp_options: Any,
) -> InboundSmtpServer:
    """An SMTP listener on ``host:port`` (0 picks a free port) passing every accepted
    mail to ``handler``. Answers 250 only after the handler returned True, 552 for a
    mail over ``max_message_bytes``, 550 for a recipient outside
    ``allowed_recipient_domains`` (None: any), and 451 when the handler failed so the
    sending server keeps the mail and retries. ``smtp_options`` go to aiosmtpd's SMTP
    class (e.g. ``tls_context``, ``require_starttls``)."""
    adapter = InboundHandlerAdapter(handler, allowed_recipient_domains)
    controller = _Controller(
        adapter,
        hostname=host,
        port=port,
        data_size_limit=max_message_bytes,
        **smtp_options,
    )
    return InboundSmtpServer(controller)
