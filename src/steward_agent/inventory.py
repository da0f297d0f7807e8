"""The full inventory: run the platform's collectors, assemble an Inventory message and
compute its canonical hash (over the content only, not message id, device or time)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from typing import Any

from steward_agent.collectors.base import (
    Collector,
    Context,
    Outcome,
    Platform,
    clip,
    collectors_for,
    current_platform,
    run_collectors,
)
from steward_protocol.messages import (
    MAX_INVENTORY_BYTES,
    CollectorStatus,
    Hardware,
    Inventory,
    OperatingSystem,
)

log = logging.getLogger(__name__)

NIL_DEVICE = uuid.UUID(int=0)
VOLATILE = {"message_id", "device_id", "collected_at", "inventory_hash"}
DEFAULTS: dict[str, Any] = {
    "hardware": Hardware(),
    "software": [],
    "protection": [],
    "encryption": [],
    "backups": [],
    "local_admins": [],
    "network": [],
}


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of the inventory content."""
    canonical = json.dumps(
        {k: v for k, v in content.items() if k not in VOLATILE},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def inventory_hash(inventory: Inventory) -> str:
    return content_hash(inventory.model_dump(mode="json", exclude=VOLATILE))


def assemble(
    outcomes: dict[str, Outcome],
    platform: Platform | None,
    device_id: uuid.UUID = NIL_DEVICE,
    collected_at: dt.datetime | None = None,
) -> Inventory:
    """Build the Inventory from collector outcomes (failed sections get defaults)."""
    family = platform or "unknown"
    sections: dict[str, Any] = {}
    statuses: dict[str, CollectorStatus] = {}
    for name, outcome in sorted(outcomes.items()):
        statuses[name] = CollectorStatus(state=outcome.state, reason=clip(outcome.reason, 2000))
        if outcome.state == "ok":
            sections[outcome.section] = outcome.value
    content: dict[str, Any] = {
        **DEFAULTS,
        "os": OperatingSystem(family=family),
        **sections,
        "collectors": statuses,
    }
    draft = Inventory(
        message_id=uuid.uuid4(),
        device_id=device_id,
        collected_at=collected_at or dt.datetime.now(dt.UTC),
        inventory_hash="0" * 64,
        **content,
    )
    draft = _fit(draft)
    return draft.model_copy(update={"inventory_hash": inventory_hash(draft)})


def _fit(inventory: Inventory) -> Inventory:
    """Keep the message under the server's size limit by trimming the software list."""
    size = len(inventory.model_dump_json())
    if size <= MAX_INVENTORY_BYTES:
        return inventory
    software = list(inventory.software)
    while software and size > MAX_INVENTORY_BYTES:
        software = software[: len(software) * 3 // 4]
        inventory = inventory.model_copy(update={"software": software})
        size = len(inventory.model_dump_json())
    statuses = dict(inventory.collectors)
    statuses["software"] = CollectorStatus(
        state="ok", reason=f"list cut to {len(software)} packages to fit the size limit"
    )
    log.warning("inventory too large; software list cut to %d entries", len(software))
    return inventory.model_copy(update={"software": software, "collectors": statuses})


def collect_inventory(
    ctx: Context,
    *,
    device_id: uuid.UUID = NIL_DEVICE,
    platform: Platform | None = None,
    collectors: list[Collector] | None = None,
    timeout: float | None = None,
) -> Inventory:
    platform = platform or current_platform()
    if collectors is None:
        collectors = collectors_for(platform) if platform else []
    outcomes = run_collectors(collectors, ctx, timeout=timeout)
    return assemble(outcomes, platform, device_id)
