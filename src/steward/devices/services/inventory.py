"""Inventory ingest: store an agent's full inventory as rows, facts and change history.

One inventory is written in one transaction, at most once per (device, message id): the
:class:`InventorySnapshot` row (the raw document, last three kept per device) is the
idempotency record. Per-device rows (software, updates, disks, interfaces, protection,
encryption, backups, local admins) are replaced, :class:`DeviceFacts` and the device's
os/hardware columns are updated, and old is diffed against new into :class:`DeviceChange`
lines ("Google Chrome 120.0 → 121.0", "BitLocker turned off on C:", "3 updates installed").

A section whose collector reported "unknown" or "error" keeps its previous rows and facts
and produces no changes: a collector that could not run must not read as "everything was
uninstalled". The first inventory after enrollment produces one summary line instead of
one line per program.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from steward.core import audit
from steward.devices import models as m
from steward.devices.services import AgentError
from steward.devices.services import credentials as creds
from steward.devices.services.writelock import sqlite_writer_turn
from steward_protocol.messages import Inventory, InventoryResponse

KEEP_SNAPSHOTS = 3
SOFTWARE_LINES_LIMIT = 20  # more software changes than this read as one summary line
DETAILS_LIMIT = 500

Category = m.DeviceChange.Category
CHASSIS_KIND = {
    "desktop": m.Device.Kind.WORKSTATION,
    "laptop": m.Device.Kind.LAPTOP,
    "server": m.Device.Kind.SERVER,
    "virtual": m.Device.Kind.VIRTUAL,
}
SYSTEM_VOLUMES = ("c:", "c:\\", "/", "macintosh hd")


# --- a device's inventory in one comparable shape ----------------------------------------


@dataclass
class Picture:
    """What the diff compares, built from the stored rows (old) or the message (new)."""

    software: list[tuple[str, str]] = field(default_factory=list)  # (name, version)
    pending_updates: dict[str, bool] = field(default_factory=dict)  # update id → is security
    disks: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # name → (model, size, smart)
    encryption: dict[str, tuple[str, str]] = field(default_factory=dict)  # volume → (method, state)
    protection: dict[str, tuple[bool | None, bool | None]] = field(default_factory=dict)
    backups: dict[tuple[str, str], bool | None] = field(default_factory=dict)  # (tool, job) → failing
    local_admins: set[str] = field(default_factory=set)
    ram_bytes: int | None = None
    cpu_model: str = ""
    bios_version: str = ""
    os_label: str = ""
    kernel: str = ""
    firewall: str = "unknown"


def _failing(success: dt.datetime | None, failure: dt.datetime | None) -> bool | None:
    if failure is None and success is None:
        return None
    if failure is None:
        return False
    return success is None or failure > success


def _os_label(name: str, version: str, build: str) -> str:
    label = " ".join(part for part in (name, version) if part)
    if build and build not in label:
        label = f"{label} (build {build})" if label else build
    return label


def old_picture(device: m.Device, facts: m.DeviceFacts) -> Picture:
    pic = Picture(
        ram_bytes=facts.ram_bytes,
        cpu_model=facts.cpu_model,
        bios_version=facts.bios_version,
        os_label=_os_label(device.os_name, device.os_version, device.os_build),
        kernel=facts.os_kernel,
        firewall=facts.firewall_state,
    )
    pic.software = list(m.InstalledSoftware.unscoped.filter(device=device).values_list("name", "version"))
    pic.pending_updates = dict(
        m.PendingUpdate.unscoped.filter(device=device).values_list("update_id", "is_security")
    )
    for name, model, size, smart in m.PhysicalDisk.unscoped.filter(device=device).values_list(
        "name", "model", "size_bytes", "smart_status"
    ):
        pic.disks[name] = (model, size, smart)
    for volume, method, state in m.VolumeEncryption.unscoped.filter(device=device).values_list(
        "volume", "method", "state"
    ):
        pic.encryption[volume] = (method, state)
    for product, enabled, up_to_date in m.ProtectionProduct.unscoped.filter(device=device).values_list(
        "product", "enabled", "up_to_date"
    ):
        pic.protection[product] = (enabled, up_to_date)
    for tool, job, success, failure in m.BackupJob.unscoped.filter(device=device).values_list(
        "tool", "job", "last_success_at", "last_failure_at"
    ):
        pic.backups[(tool, job)] = _failing(success, failure)
    pic.local_admins = set(m.LocalAdmin.unscoped.filter(device=device).values_list("name", flat=True))
    return pic


def new_picture(inv: Inventory) -> Picture:
    hw, os_ = inv.hardware, inv.os
    return Picture(
        software=[(s.name, s.version) for s in inv.software],
        pending_updates={u.update_id: u.is_security for u in inv.updates.pending},
        disks={d.name: (d.model, d.size_bytes, d.smart_status) for d in hw.disks},
        encryption={e.volume: (e.method, e.state) for e in inv.encryption},
        protection={p.product: (p.enabled, p.up_to_date) for p in inv.protection},
        backups={(b.tool, b.job): _failing(b.last_success_at, b.last_failure_at) for b in inv.backups},
        local_admins=set(inv.local_admins),
        ram_bytes=hw.ram_bytes or None,
        cpu_model=hw.cpu_model,
        bios_version=hw.bios.version,
        os_label=_os_label(os_.name, os_.version, os_.build),
        kernel=os_.kernel,
        firewall=inv.firewall.state,
    )


# --- the diff -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    category: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def format_bytes(value: int) -> str:
    """8589934592 → "8 GB", 512110190592 → "477 GB", 1.5 TiB → "1.5 TB" (binary units)."""
    units = [("TB", 2**40), ("GB", 2**30), ("MB", 2**20)]
    for unit, size in units:
        if value >= size:
            amount = value / size
            if abs(amount - round(amount)) < 0.05 or amount >= 100:
                return f"{round(amount)} {unit}"
            return f"{amount:.1f} {unit}"
    return f"{value} bytes"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _named(name: str, version: str) -> str:
    return f"{name} {version}".strip()


def diff_software(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[Change]:
    def grouped(items: list[tuple[str, str]]) -> dict[str, tuple[str, Counter[str]]]:
        out: dict[str, tuple[str, Counter[str]]] = {}
        for name, version in items:
            key = name.casefold()
            _display, versions = out.setdefault(key, (name, Counter()))
            versions[version] += 1
        return out

    before, after = grouped(old), grouped(new)
    lines: list[tuple[str, dict[str, Any]]] = []  # (summary, details)
    counts = Counter[str]()
    for key in sorted(set(before) | set(after)):
        name = (after.get(key) or before[key])[0]
        old_versions = before[key][1] if key in before else Counter[str]()
        new_versions = after[key][1] if key in after else Counter[str]()
        if old_versions == new_versions:
            continue
        removed = sorted((old_versions - new_versions).elements())
        added = sorted((new_versions - old_versions).elements())
        if len(removed) == 1 and len(added) == 1:
            was, now = removed[0] or "?", added[0] or "?"
            lines.append((f"{name} {was} → {now}", {"name": name, "before": removed[0], "after": added[0]}))
            counts["updated"] += 1
            continue
        for version in added:
            lines.append((f"Installed {_named(name, version)}", {"name": name, "installed": version}))
            counts["installed"] += 1
        for version in removed:
            lines.append((f"Removed {_named(name, version)}", {"name": name, "removed": version}))
            counts["removed"] += 1
    if len(lines) > SOFTWARE_LINES_LIMIT:
        parts = [f"{counts[k]} {k}" for k in ("installed", "updated", "removed") if counts[k]]
        return [
            Change(
                Category.SOFTWARE,
                "Software changed: " + ", ".join(parts),
                {"changes": [details for _, details in lines[:DETAILS_LIMIT]], "total": len(lines)},
            )
        ]
    return [Change(Category.SOFTWARE, summary[:255], details) for summary, details in lines]


def diff_updates(old: dict[str, bool], new: dict[str, bool]) -> list[Change]:
    changes = []
    installed = sorted(set(old) - set(new))
    appeared = sorted(set(new) - set(old))
    if installed:
        changes.append(
            Change(
                Category.UPDATES,
                f"{_plural(len(installed), 'update')} installed",
                {"updates": installed[:DETAILS_LIMIT]},
            )
        )
    if appeared:
        security = sum(1 for u in appeared if new[u])
        summary = f"{_plural(len(appeared), 'new update')} pending"
        if security:
            summary += f" ({security} security)"
        changes.append(Change(Category.UPDATES, summary, {"updates": appeared[:DETAILS_LIMIT]}))
    return changes


def diff_hardware(old: Picture, new: Picture) -> list[Change]:
    changes = []
    if old.ram_bytes and new.ram_bytes and old.ram_bytes != new.ram_bytes:
        was, now = format_bytes(old.ram_bytes), format_bytes(new.ram_bytes)
        if was != now:  # a few MB reserved differently is not a RAM change
            changes.append(
                Change(
                    Category.HARDWARE, f"RAM {was} → {now}", {"before": old.ram_bytes, "after": new.ram_bytes}
                )
            )
    if old.cpu_model and new.cpu_model and old.cpu_model != new.cpu_model:
        changes.append(Change(Category.HARDWARE, f"CPU {old.cpu_model} → {new.cpu_model}"[:255]))
    for name in sorted(set(new.disks) - set(old.disks)):
        model, size, _ = new.disks[name]
        label = f"{model or name} ({format_bytes(size)})" if size else (model or name)
        changes.append(Change(Category.HARDWARE, f"Disk added: {label}"[:255], {"disk": name}))
    for name in sorted(set(old.disks) - set(new.disks)):
        model, size, _ = old.disks[name]
        changes.append(Change(Category.HARDWARE, f"Disk removed: {model or name}"[:255], {"disk": name}))
    for name in sorted(set(old.disks) & set(new.disks)):
        was, now = old.disks[name][2], new.disks[name][2]
        if was != now and "unknown" not in (was, now):
            verb = "reports failing (SMART)" if now == "failing" else "SMART status back to ok"
            changes.append(
                Change(Category.HARDWARE, f"Disk {name} {verb}"[:255], {"before": was, "after": now})
            )
    return changes


def diff_firmware(old: Picture, new: Picture) -> list[Change]:
    if old.bios_version and new.bios_version and old.bios_version != new.bios_version:
        return [
            Change(
                Category.FIRMWARE,
                f"BIOS updated {old.bios_version} → {new.bios_version}"[:255],
                {"before": old.bios_version, "after": new.bios_version},
            )
        ]
    return []


def diff_os(old: Picture, new: Picture) -> list[Change]:
    if old.os_label and new.os_label and old.os_label != new.os_label:
        return [Change(Category.OS, f"Operating system updated: {old.os_label} → {new.os_label}"[:255])]
    if old.kernel and new.kernel and old.kernel != new.kernel:
        return [Change(Category.OS, f"Kernel {old.kernel} → {new.kernel}"[:255])]
    return []


def diff_firewall(old: str, new: str) -> list[Change]:
    if old == new or "unknown" in (old, new):
        return []
    summary = {"off": "Firewall turned off", "on": "Firewall turned on", "partial": "Firewall only partly on"}
    return [Change(Category.SECURITY, summary[new], {"before": old, "after": new})]


def diff_encryption(old: dict[str, tuple[str, str]], new: dict[str, tuple[str, str]]) -> list[Change]:
    changes = []
    for volume in sorted(set(old) & set(new)):
        (old_method, was), (new_method, now) = old[volume], new[volume]
        if was == now or "unknown" in (was, now):
            continue
        method = new_method or old_method or "Encryption"
        if now == "not_encrypted":
            summary = f"{method} turned off on {volume}"
        elif now == "encrypting":
            summary = f"{method} encryption started on {volume}"
        elif was == "encrypting":
            summary = f"{method} finished encrypting {volume}"
        else:
            summary = f"{method} turned on for {volume}"
        changes.append(
            Change(Category.SECURITY, summary[:255], {"volume": volume, "before": was, "after": now})
        )
    return changes


def diff_protection(
    old: dict[str, tuple[bool | None, bool | None]], new: dict[str, tuple[bool | None, bool | None]]
) -> list[Change]:
    changes = []
    for product in sorted(set(new) - set(old)):
        changes.append(Change(Category.SECURITY, f"Protection added: {product}"[:255]))
    for product in sorted(set(old) - set(new)):
        changes.append(Change(Category.SECURITY, f"Protection removed: {product}"[:255]))
    for product in sorted(set(old) & set(new)):
        (was_on, was_current), (now_on, now_current) = old[product], new[product]
        if was_on is not None and now_on is not None and was_on != now_on:
            changes.append(Change(Category.SECURITY, f"{product} turned {'on' if now_on else 'off'}"[:255]))
        if was_current is not None and now_current is not None and was_current != now_current:
            state = "up to date again" if now_current else "out of date"
            changes.append(Change(Category.SECURITY, f"{product} definitions {state}"[:255]))
    return changes


def diff_backups(
    old: dict[tuple[str, str], bool | None], new: dict[tuple[str, str], bool | None]
) -> list[Change]:
    def label(key: tuple[str, str]) -> str:
        return " ".join(part for part in key if part)

    changes = []
    for key in sorted(set(new) - set(old)):
        changes.append(Change(Category.BACKUP, f"Backup job added: {label(key)}"[:255]))
    for key in sorted(set(old) - set(new)):
        changes.append(Change(Category.BACKUP, f"Backup job removed: {label(key)}"[:255]))
    for key in sorted(set(old) & set(new)):
        was, now = old[key], new[key]
        if now is True and was is not True:
            changes.append(Change(Category.BACKUP, f"Backup {label(key)} started failing"[:255]))
        elif now is False and was is True:
            changes.append(Change(Category.BACKUP, f"Backup {label(key)} recovered"[:255]))
    return changes


def diff_admins(old: set[str], new: set[str]) -> list[Change]:
    added = [Change(Category.SECURITY, f"Local administrator added: {n}"[:255]) for n in sorted(new - old)]
    removed = [
        Change(Category.SECURITY, f"Local administrator removed: {n}"[:255]) for n in sorted(old - new)
    ]
    return added + removed


def diff(old: Picture, new: Picture, sections: set[str]) -> list[Change]:
    """Everything that changed, for the sections whose collector ran this time."""
    changes: list[Change] = []
    if "hardware" in sections:
        changes += diff_hardware(old, new) + diff_firmware(old, new)
    if "os" in sections:
        changes += diff_os(old, new)
    if "software" in sections:
        changes += diff_software(old.software, new.software)
    if "updates" in sections:
        changes += diff_updates(old.pending_updates, new.pending_updates)
    if "firewall" in sections:
        changes += diff_firewall(old.firewall, new.firewall)
    if "encryption" in sections:
        changes += diff_encryption(old.encryption, new.encryption)
    if "protection" in sections:
        changes += diff_protection(old.protection, new.protection)
    if "backups" in sections:
        changes += diff_backups(old.backups, new.backups)
    if "local_admins" in sections:
        changes += diff_admins(old.local_admins, new.local_admins)
    return changes


def first_summary(inv: Inventory, sections: set[str]) -> Change:
    parts = []
    if "software" in sections:
        parts.append(_plural(len(inv.software), "program"))
    if "hardware" in sections:
        parts.append(_plural(len(inv.hardware.disks), "disk"))
    if "network" in sections:
        parts.append(_plural(len(inv.network), "network interface"))
    if "updates" in sections:
        parts.append(_plural(len(inv.updates.pending), "pending update"))
    summary = "Inventory received: " + (", ".join(parts) or "no sections collected")
    return Change(Category.AGENT, summary[:255], {"sections": sorted(sections)})


# --- storing ------------------------------------------------------------------------------

SECTIONS = (
    "hardware",
    "os",
    "software",
    "updates",
    "firewall",
    "protection",
    "encryption",
    "backups",
    "local_admins",
    "network",
)


def collected_sections(inv: Inventory) -> set[str]:
    """Sections whose collector ran ("ok", or not reported at all)."""
    return {s for s in SECTIONS if (status := inv.collectors.get(s)) is None or status.state == "ok"}


def _system_volume_state(inv: Inventory) -> str:
    if not inv.encryption:
        return "unknown"
    for volume in inv.encryption:
        if volume.volume.strip().lower() in SYSTEM_VOLUMES:
            return volume.state
    return inv.encryption[0].state


def _row_sources(inv: Inventory) -> list[tuple[str, Any, Sequence[Any]]]:
    """(section, row model, protocol items): each item's fields are the model's field names."""
    return [
        ("software", m.InstalledSoftware, inv.software),
        ("updates", m.PendingUpdate, inv.updates.pending),
        ("hardware", m.PhysicalDisk, inv.hardware.disks),
        ("network", m.NetworkInterface, inv.network),
        ("protection", m.ProtectionProduct, inv.protection),
        ("encryption", m.VolumeEncryption, inv.encryption),
        ("backups", m.BackupJob, inv.backups),
    ]


def _replace_rows(device: m.Device, inv: Inventory, sections: set[str]) -> None:
    """Replace the rows of every section whose collector ran (a failed one keeps its rows)."""

    def replace_all(model: Any, rows: Iterable[Any]) -> None:
        model.unscoped.filter(device=device).delete()
        model.unscoped.bulk_create(list(rows), batch_size=500)

    for section, model, items in _row_sources(inv):
        if section in sections:
            replace_all(model, (model(device=device, **item.model_dump()) for item in items))
    if "local_admins" in sections:
        replace_all(m.LocalAdmin, (m.LocalAdmin(device=device, name=name) for name in inv.local_admins))


def _update_facts(facts: m.DeviceFacts, inv: Inventory, sections: set[str]) -> None:
    hw, os_ = inv.hardware, inv.os
    if "hardware" in sections:
        facts.chassis = hw.chassis
        facts.cpu_model = hw.cpu_model
        facts.cpu_cores = hw.cpu_cores or None
        facts.ram_bytes = hw.ram_bytes or None
        facts.bios_vendor = hw.bios.vendor
        facts.bios_version = hw.bios.version
        facts.bios_release_date = hw.bios.release_date
    if "os" in sections:
        facts.os_kernel = os_.kernel
        facts.os_install_date = os_.install_date
    if "firewall" in sections:
        facts.firewall_state = inv.firewall.state
        facts.firewall_product = inv.firewall.product
    if "protection" in sections:
        primary = next(
            (p for p in inv.protection if p.enabled), inv.protection[0] if inv.protection else None
        )
        facts.protection_product = primary.product if primary else ""
        facts.protection_enabled = primary.enabled if primary else False  # none installed: known absent
        facts.protection_up_to_date = primary.up_to_date if primary else None
        facts.protection_definitions_at = primary.definitions_updated_at if primary else None
    if "encryption" in sections:
        facts.encryption_state = _system_volume_state(inv)
    if "updates" in sections:
        pending = inv.updates.pending
        facts.updates_pending = len(pending)
        facts.updates_pending_security = sum(1 for u in pending if u.is_security)
        facts.updates_oldest_pending_since = min(
            (u.pending_since for u in pending if u.pending_since), default=None
        )
        facts.updates_last_success_at = inv.updates.last_success_at
    if "backups" in sections:
        facts.backup_last_success_at = max(
            (b.last_success_at for b in inv.backups if b.last_success_at), default=None
        )
        facts.backup_last_failure_at = max(
            (b.last_failure_at for b in inv.backups if b.last_failure_at), default=None
        )
    if "local_admins" in sections:
        facts.local_admin_count = len(inv.local_admins)
    if "software" in sections:
        facts.software_count = len(inv.software)
    facts.collectors = {name: status.model_dump() for name, status in inv.collectors.items()}
    facts.save()


def _device_columns(device: m.Device, inv: Inventory, sections: set[str], now: dt.datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "inventory_hash": inv.inventory_hash,
        "inventory_at": now,
        "want_inventory": False,
        "updated_at": now,
    }
    if "os" in sections:
        values.update(
            os_family=inv.os.family,
            os_name=inv.os.name,
            os_version=inv.os.version,
            os_build=inv.os.build,
            architecture=inv.os.architecture,
        )
    if "hardware" in sections:
        hw = inv.hardware
        values.update(manufacturer=hw.vendor, model=hw.model)
        if hw.serial_number:
            values["serial_number"] = hw.serial_number
        if device.kind == m.Device.Kind.UNKNOWN and hw.chassis in CHASSIS_KIND:
            values["kind"] = CHASSIS_KIND[hw.chassis]
    return values


def ingest_inventory(
    auth: creds.AuthenticatedDevice, inv: Inventory, *, origin: audit.Actor | None = None
) -> InventoryResponse:
    """Store one inventory (idempotent on its message id); raises :class:`AgentError`."""
    if inv.device_id != auth.device_uid:
        raise AgentError(403, "device_id does not match the credential's device")
    now = timezone.now()
    actor = audit.Actor.system(f"agent:{auth.device_uid}")
    if origin is not None:
        actor = replace(actor, ip=origin.ip, user_agent=origin.user_agent, request_id=origin.request_id)
    with audit.acting_as(actor), sqlite_writer_turn(), transaction.atomic():
        # The row lock serialises two inventories of one device (PostgreSQL; SQLite
        # serialises all writers anyway).
        device = m.Device.unscoped.select_for_update().get(pk=auth.device_id)
        if device.quarantined_at is not None:
            raise AgentError(403, creds.QUARANTINED)
        if m.InventorySnapshot.unscoped.filter(device=device, message_id=inv.message_id).exists():
            return InventoryResponse(accepted=True, duplicate=True)
        try:
            with transaction.atomic():
                m.InventorySnapshot.unscoped.create(
                    device=device,
                    message_id=inv.message_id,
                    inventory_hash=inv.inventory_hash,
                    collected_at=inv.collected_at,
                    document=inv.model_dump(mode="json"),
                )
        except IntegrityError:  # the same message, stored concurrently
            return InventoryResponse(accepted=True, duplicate=True)
        keep = list(
            m.InventorySnapshot.unscoped.filter(device=device)
            .order_by("-pk")
            .values_list("pk", flat=True)[:KEEP_SNAPSHOTS]
        )
        m.InventorySnapshot.unscoped.filter(device=device).exclude(pk__in=keep).delete()

        facts, _ = m.DeviceFacts.unscoped.get_or_create(device=device)
        sections = collected_sections(inv)
        if device.inventory_at is None:
            changes = [first_summary(inv, sections)]
        else:
            changes = diff(old_picture(device, facts), new_picture(inv), sections)
        _replace_rows(device, inv, sections)
        _update_facts(facts, inv, sections)
        m.Device.unscoped.filter(pk=device.pk).update(**_device_columns(device, inv, sections, now))
        details_base = {"message_id": str(inv.message_id), "collected_at": inv.collected_at.isoformat()}
        m.DeviceChange.unscoped.bulk_create(
            [
                m.DeviceChange(
                    device=device,
                    at=now,
                    category=c.category,
                    summary=c.summary,
                    details={**c.details, **details_base},
                )
                for c in changes
            ]
        )
    creds.cache.forget(auth.prefix)  # want_inventory and inventory_hash changed
    return InventoryResponse(accepted=True, changes=len(changes))
