"""The run loop: a heartbeat every interval (±15% jitter; the server sets the interval),
the inventory when its hash changed or the server asked, the offline spool when the server
cannot be reached, and a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import random
import threading
import time
import uuid

import psutil

from steward_agent.collectors.base import Context, Platform, current_platform
from steward_agent.config import Credentials, RuntimeState, Settings, StateDir
from steward_agent.heartbeat import build_heartbeat
from steward_agent.identity import collect_identity, describe_change
from steward_agent.inventory import collect_inventory
from steward_agent.spool import Spool, SpooledMessage, Verdict
from steward_agent.transport import (
    AgentClient,
    CredentialRejected,
    Forbidden,
    MessageRejected,
    TransportError,
)
from steward_protocol.messages import CheckInResponse, DeviceIdentity, Inventory

log = logging.getLogger(__name__)

JITTER = 0.15
MIN_INTERVAL = 5
MAX_INTERVAL = 24 * 3600


class ReEnrollRequired(Exception):
    """The server no longer accepts this device's credential (401)."""


def jittered(interval: float, rng: random.Random) -> float:
    """``interval`` ±15%, so a fleet restarted together does not check in in lockstep."""
    return interval * rng.uniform(1 - JITTER, 1 + JITTER)


def clamp_interval(seconds: int) -> int:
    return max(MIN_INTERVAL, min(MAX_INTERVAL, int(seconds)))


class Agent:
    def __init__(
        self,
        state_dir: StateDir,
        settings: Settings,
        credentials: Credentials,
        *,
        client: AgentClient | None = None,
        platform: Platform | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.settings = settings
        self.credentials = credentials
        self.platform = platform or current_platform()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.client = client or AgentClient(
            settings.server_url,
            credential=credentials.credential,
            ca_bundle=settings.ca_bundle,
            allow_http=settings.allow_http,
        )
        self.client.credential = credentials.credential
        self.state: RuntimeState = state_dir.load_state()
        self.spool = Spool(
            state_dir.spool_path, max_messages=settings.spool_max_messages, max_bytes=settings.spool_max_bytes
        )
        self.ctx = Context(
            state_dir=state_dir.path,
            settings=settings.collector_settings(),
            command_timeout=settings.command_timeout,
        )
        self.inventory: Inventory | None = None
        self._inventory_at = 0.0
        self._want_inventory = False
        # The hash of the inventory waiting in the spool, so a restart does not queue the
        # same content again under a new message id.
        self._spooled_inventory_hash: str | None = None
        queued = self.spool.newest("inventory")
        if queued is not None:
            with contextlib.suppress(ValueError):
                self._spooled_inventory_hash = json.loads(queued.body).get("inventory_hash")
        self.online = True

    def close(self) -> None:
        self.spool.close()
        self.client.close()

    # --- the loop ---------------------------------------------------------------------

    def run(self, stop: threading.Event, *, once: bool = False) -> None:
        """Check in until ``stop`` is set (or once). Raises ReEnrollRequired on a 401."""
        psutil.cpu_percent(interval=None)  # prime: the first heartbeat then has a real value
        log.info(
            "steward-agent running as device %s against %s",
            self.credentials.device_id,
            self.client.server_url,
        )
        while not stop.is_set():
            wait = self.cycle()
            if once:
                return
            log.debug("next check-in in %.0f s", wait)
            stop.wait(wait)
        log.info("steward-agent stopped")

    def cycle(self) -> float:
        """One check-in: replay the spool, heartbeat, inventory if due. Returns the wait."""
        try:
            self._cycle()
            self.state.last_error = None
        except (CredentialRejected, ReEnrollRequired) as exc:
            self.state.last_error = f"credential rejected: {exc}"
            self._save_state()
            raise ReEnrollRequired(str(exc)) from exc
        except Forbidden as exc:
            self.state.last_error = f"refused by the server (403): {exc.detail}"
            log.error("the server refused this device (403): %s", exc.detail or "forbidden")
        except TransportError as exc:
            self.state.last_error = str(exc)
        self._save_state()
        return jittered(self.state.interval_seconds, self.rng)

    def _cycle(self) -> None:
        replayed_ok = self.replay_spool()
        identity = collect_identity()
        self._check_identity(identity)
        # The heartbeat goes first (the inventory can take minutes to collect); it carries
        # the hash of the newest inventory the agent knows of.
        known = self.inventory.inventory_hash if self.inventory else self.state.last_inventory_hash
        heartbeat = build_heartbeat(self.credentials.device_id, identity, known)
        body = heartbeat.model_dump_json()
        if not replayed_ok:
            self._spool_offline(heartbeat.message_id, body)
            raise TransportError(f"server unreachable; {len(self.spool)} message(s) spooled")
        try:
            response = self.client.checkin(body)
        except TransportError as exc:
            self._went_offline(exc)
            self._spool_offline(heartbeat.message_id, body)
            raise
        except MessageRejected as exc:
            log.error("the server rejected a heartbeat (%s)", exc)
            return
        self._back_online()
        self._apply(response)
        if self._inventory_due():
            self._collect_inventory()
        if self.inventory and (self._want_inventory or self._inventory_unsent()):
            self.send_inventory()

    # --- responses --------------------------------------------------------------------

    def _apply(self, response: CheckInResponse) -> None:
        self.state.interval_seconds = clamp_interval(response.interval_seconds)
        self.state.last_checkin_at = dt.datetime.now(dt.UTC).isoformat()
        if response.want_inventory:
            self._want_inventory = True
        if response.new_device_id and response.new_credential:
            self._switch_identity(response.new_device_id, response.new_credential)

    def _switch_identity(self, device_id: uuid.UUID, credential: str) -> None:
        log.warning(
            "the server recognised this machine as a clone of device %s; continuing as new device %s",
            self.credentials.device_id,
            device_id,
        )
        self.credentials = Credentials(device_id=device_id, credential=credential)
        self.state_dir.save_credentials(self.credentials)
        self.client.credential = credential
        self.state.enrolled_identity = collect_identity().model_dump(mode="json")
        self.state.last_inventory_hash = None  # the new device has no inventory yet
        self._want_inventory = True
        if self.inventory is not None:
            self.inventory = self.inventory.model_copy(update={"device_id": device_id})

    def _check_identity(self, identity: DeviceIdentity) -> None:
        if not self.state.enrolled_identity:
            self.state.enrolled_identity = identity.model_dump(mode="json")
            return
        try:
            enrolled = DeviceIdentity.model_validate(self.state.enrolled_identity)
        except ValueError:
            self.state.enrolled_identity = identity.model_dump(mode="json")
            return
        changed = describe_change(enrolled, identity)
        if changed:
            log.warning(
                "this machine's %s changed since enrollment (a clone or a hardware change); "
                "the server will decide",
                ", ".join(changed),
            )

    # --- inventory --------------------------------------------------------------------

    def _inventory_due(self) -> bool:
        return (
            self.inventory is None
            or self._want_inventory
            or time.monotonic() - self._inventory_at >= self.settings.inventory_check_seconds
        )

    def _inventory_unsent(self) -> bool:
        return self.inventory is not None and self.inventory.inventory_hash != self.state.last_inventory_hash

    def _collect_inventory(self) -> None:
        self.inventory = collect_inventory(
            self.ctx,
            device_id=self.credentials.device_id,
            platform=self.platform,
            timeout=self.settings.collector_timeout,
        )
        self._inventory_at = time.monotonic()
        log.info("inventory collected (hash %s)", self.inventory.inventory_hash[:12])

    def send_inventory(self) -> None:
        assert self.inventory is not None
        inventory = self.inventory.model_copy(
            update={"message_id": uuid.uuid4(), "device_id": self.credentials.device_id}
        )
        body = inventory.model_dump_json()
        try:
            self.client.inventory(body)
        except TransportError as exc:
            self._went_offline(exc)
            self._spool("inventory", str(inventory.message_id), body)
            self._spooled_inventory_hash = inventory.inventory_hash
            raise
        except MessageRejected as exc:
            log.error("the server rejected the inventory (%s)", exc)
            self._want_inventory = False
            return
        self._mark_inventory_sent(inventory.inventory_hash)

    def _mark_inventory_sent(self, digest: str) -> None:
        self._spooled_inventory_hash = None
        self.state.last_inventory_hash = digest
        self.state.last_inventory_sent_at = dt.datetime.now(dt.UTC).isoformat()
        self._want_inventory = False

    def _spool_offline(self, heartbeat_id: uuid.UUID, body: str) -> None:
        """Queue this heartbeat and, once per new hash, the unsent inventory after it."""
        self._spool("heartbeat", str(heartbeat_id), body)
        if self._inventory_due():
            self._collect_inventory()
        if self.inventory is None or not (self._want_inventory or self._inventory_unsent()):
            return
        if self._spooled_inventory_hash == self.inventory.inventory_hash:
            return
        inventory = self.inventory.model_copy(
            update={"message_id": uuid.uuid4(), "device_id": self.credentials.device_id}
        )
        self._spool("inventory", str(inventory.message_id), inventory.model_dump_json())
        self._spooled_inventory_hash = inventory.inventory_hash

    # --- spool ------------------------------------------------------------------------

    def _spool(self, kind: str, message_id: str, body: str) -> None:
        dropped = self.spool.put(kind, message_id, body)
        if dropped:
            log.warning("offline spool full: dropped the %d oldest message(s)", dropped)
        log.debug("spooled %s %s (%d waiting)", kind, message_id, len(self.spool))

    def replay_spool(self) -> bool:
        """Send what is spooled, oldest first. True when the spool is empty afterwards."""
        if not len(self.spool):
            return True
        result = self.spool.replay(self._send_spooled)
        if result.sent or result.rejected:
            log.info(
                "replayed %d spooled message(s), %d refused, %d left",
                result.sent,
                result.rejected,
                result.remaining,
            )
        return not result.stopped

    def _send_spooled(self, message: SpooledMessage) -> Verdict:
        body = self._rebind(message.body)
        try:
            if message.kind == "inventory":
                self.client.inventory(body)
                self._mark_inventory_sent(json.loads(body).get("inventory_hash", ""))
            else:
                self._apply(self.client.checkin(body))
        except TransportError as exc:
            self._went_offline(exc)
            return "retry"
        except MessageRejected as exc:
            log.error(
                "the server refused spooled %s %s (%s); dropping it", message.kind, message.message_id, exc
            )
            return "reject"
        except Forbidden:
            raise
        self._back_online()
        return "ack"

    def _rebind(self, body: str) -> str:
        """Spooled before a clone switch: the message belongs to this machine's new id."""
        data = json.loads(body)
        if data.get("device_id") != str(self.credentials.device_id):
            data["device_id"] = str(self.credentials.device_id)
            return json.dumps(data)
        return body

    def _went_offline(self, exc: Exception) -> None:
        if self.online:
            log.warning("server unreachable, spooling messages: %s", exc)
        self.online = False

    def _back_online(self) -> None:
        if not self.online:
            log.info("server reachable again")
        self.online = True

    def _save_state(self) -> None:
        try:
            self.state_dir.save_state(self.state)
        except OSError as exc:
            log.error("cannot save the agent state: %s", exc)
