"""Messages between the endpoint agent and the server, defined once for both sides.

Everything an agent sends is untrusted: every string and list is capped, unknown fields
are refused, and numbers are range-checked. A collector that could not run reports a
:class:`CollectorStatus` with state "unknown" and a reason instead of silently omitting data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PROTOCOL_VERSION = 1
AGENT_API_PREFIX = "/api/agent/v1"
# Authorization header of an enrolled device: "Device <credential>".
DEVICE_AUTH_SCHEME = "Device"

MAX_HEARTBEAT_BYTES = 64 * 1024
MAX_INVENTORY_BYTES = 4 * 1024 * 1024
MAX_ENROLL_BYTES = 16 * 1024

Short = Annotated[str, StringConstraints(max_length=255, strip_whitespace=True)]
Name = Annotated[str, StringConstraints(max_length=128, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=2000)]
Hash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
NonNegative = Annotated[int, Field(ge=0, le=2**63 - 1)]
Percent = Annotated[float, Field(ge=0, le=100)]

OsFamily = Literal["windows", "linux", "macos", "unknown"]
TriState = Literal["on", "off", "partial", "unknown"]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceIdentity(Message):
    """What makes this machine this machine: survives an agent reinstall, differs on a clone."""

    hostname: Name
    machine_id: Short = ""  # /etc/machine-id, Windows MachineGuid, macOS IOPlatformUUID
    hardware_uuid: Short = ""  # SMBIOS system UUID
    serial_number: Short = ""
    mac_addresses: Annotated[
        list[Annotated[str, StringConstraints(max_length=32)]], Field(max_length=64)
    ] = []


class EnrollRequest(Message):
    token: Annotated[str, StringConstraints(min_length=10, max_length=200)]
    identity: DeviceIdentity
    os_family: OsFamily
    agent_version: Name


class EnrollResponse(Message):
    device_id: uuid.UUID
    credential: str
    checkin_interval: int
    reinstalled: bool = False  # an existing device of the same identity was taken over


class Volume(Message):
    mount: Short
    filesystem: Name = ""
    total_bytes: NonNegative
    used_bytes: NonNegative


class Heartbeat(Message):
    message_id: uuid.UUID
    device_id: uuid.UUID
    sent_at: dt.datetime
    agent_version: Name
    identity: DeviceIdentity
    cpu_percent: Percent
    memory_total_bytes: NonNegative
    memory_used_bytes: NonNegative
    volumes: Annotated[list[Volume], Field(max_length=64)] = []
    uptime_seconds: NonNegative
    logged_in_users: Annotated[list[Name], Field(max_length=64)] = []
    pending_reboot: bool | None = None  # None: could not tell
    inventory_hash: Hash | None = None


class CheckInResponse(Message):
    interval_seconds: int
    want_inventory: bool
    server_time: dt.datetime
    duplicate: bool = False  # this message id was already accepted
    # Set when the server found this credential on a different machine (a clone): the
    # agent must store the new identity and use it from now on.
    new_device_id: uuid.UUID | None = None
    new_credential: str | None = None


class CollectorStatus(Message):
    state: Literal["ok", "unknown", "error"]
    reason: Text = ""


class Bios(Message):
    vendor: Short = ""
    version: Short = ""
    release_date: dt.date | None = None


class Disk(Message):
    name: Short
    model: Short = ""
    serial: Short = ""
    size_bytes: NonNegative = 0
    media: Literal["ssd", "hdd", "nvme", "virtual", "unknown"] = "unknown"
    smart_status: Literal["ok", "failing", "unknown"] = "unknown"
    smart_detail: Text = ""


class Hardware(Message):
    vendor: Short = ""
    model: Short = ""
    serial_number: Short = ""
    chassis: Literal["desktop", "laptop", "server", "virtual", "unknown"] = "unknown"
    cpu_model: Short = ""
    cpu_cores: Annotated[int, Field(ge=0, le=4096)] = 0
    ram_bytes: NonNegative = 0
    bios: Bios = Bios()
    disks: Annotated[list[Disk], Field(max_length=64)] = []


class OperatingSystem(Message):
    family: OsFamily
    name: Short = ""
    version: Short = ""
    build: Short = ""
    architecture: Name = ""
    kernel: Short = ""
    install_date: dt.date | None = None


class Software(Message):
    name: Short
    version: Short = ""
    publisher: Short = ""
    install_date: dt.date | None = None


class PendingUpdate(Message):
    update_id: Short  # package name, KB number or product key
    title: Short = ""
    severity: Literal["critical", "important", "moderate", "low", "unknown"] = "unknown"
    is_security: bool = False
    pending_since: dt.datetime | None = None  # first time the agent saw it pending


class Updates(Message):
    pending: Annotated[list[PendingUpdate], Field(max_length=5000)] = []
    last_success_at: dt.datetime | None = None


class Firewall(Message):
    state: TriState = "unknown"
    product: Short = ""
    detail: Text = ""


class Protection(Message):
    product: Short
    enabled: bool | None = None
    up_to_date: bool | None = None
    definitions_updated_at: dt.datetime | None = None


class Encryption(Message):
    volume: Short
    method: Name = ""
    state: Literal["encrypted", "not_encrypted", "encrypting", "unknown"] = "unknown"


class Backup(Message):
    tool: Name
    job: Short = ""
    last_success_at: dt.datetime | None = None
    last_failure_at: dt.datetime | None = None
    detail: Text = ""


class NetworkInterface(Message):
    name: Name
    mac: Annotated[str, StringConstraints(max_length=32)] = ""
    addresses: Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=32)] = []
    is_up: bool | None = None


class Inventory(Message):
    message_id: uuid.UUID
    device_id: uuid.UUID
    collected_at: dt.datetime
    inventory_hash: Hash
    hardware: Hardware
    os: OperatingSystem
    software: Annotated[list[Software], Field(max_length=10000)] = []
    updates: Updates = Updates()
    firewall: Firewall = Firewall()
    protection: Annotated[list[Protection], Field(max_length=32)] = []
    encryption: Annotated[list[Encryption], Field(max_length=64)] = []
    backups: Annotated[list[Backup], Field(max_length=64)] = []
    local_admins: Annotated[list[Name], Field(max_length=256)] = []
    network: Annotated[list[NetworkInterface], Field(max_length=128)] = []
    collectors: Annotated[dict[Name, CollectorStatus], Field(max_length=64)] = {}


class InventoryResponse(Message):
    accepted: bool
    duplicate: bool = False
    changes: int = 0  # change-history entries this inventory produced


class ErrorResponse(Message):
    detail: str
