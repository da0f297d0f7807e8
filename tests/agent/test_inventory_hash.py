"""The canonical inventory hash covers the content, not the envelope."""

from __future__ import annotations

import datetime as dt
import uuid

from steward_agent.collectors.base import Outcome
from steward_agent.inventory import assemble, inventory_hash
from steward_protocol.messages import Inventory, OperatingSystem, Software


def outcomes(version: str = "5.2") -> dict[str, Outcome]:
    return {
        "os": Outcome("os", "os", "ok", OperatingSystem(family="linux", name="Debian GNU/Linux")),
        "software": Outcome("software", "software", "ok", [Software(name="bash", version=version)]),
        "firewall": Outcome("firewall", "firewall", "unknown", reason="ufw is not installed"),
    }


def test_hash_ignores_message_id_device_and_time() -> None:
    a = assemble(outcomes(), "linux", uuid.uuid4(), dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    b = assemble(outcomes(), "linux", uuid.uuid4(), dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
    assert a.message_id != b.message_id
    assert a.inventory_hash == b.inventory_hash == inventory_hash(a)


def test_hash_changes_with_content() -> None:
    assert (
        assemble(outcomes("5.2"), "linux").inventory_hash != assemble(outcomes("5.3"), "linux").inventory_hash
    )


def test_hash_survives_the_wire() -> None:
    inventory = assemble(outcomes(), "linux")
    received = Inventory.model_validate_json(inventory.model_dump_json())
    assert inventory_hash(received) == inventory.inventory_hash


def test_oversized_software_list_is_cut_to_fit() -> None:
    big = [Software(name=f"package-{i:05d}", version="1" * 200, publisher="p" * 250) for i in range(10000)]
    many = {**outcomes(), "software": Outcome("software", "software", "ok", big)}
    inventory = assemble(many, "linux")
    assert 0 < len(inventory.software) < 10000
    assert len(inventory.model_dump_json()) <= 4 * 1024 * 1024
    assert "cut to" in inventory.collectors["software"].reason
