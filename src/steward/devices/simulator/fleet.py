"""Deterministic virtual machine profiles: the same seed always gives the same fleet.

Each :class:`MachineProfile` is drawn from its own ``random.Random("…:<seed>:<index>")``, so
machine 17 is the same machine whether the fleet has 20 or 20,000 members. Problem rates
(documented in docs/simulator.md) are the ``RATES`` below; a profile lists the problems it
was given in :attr:`MachineProfile.problems` so tests can check the shares.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from steward.devices.simulator import catalog
from steward.devices.simulator.catalog import HardwareModel, OsSpec

GIB = 1024**3

# Share of machines given each problem (of the machines it can apply to).
RATES = {
    "critical_updates_pending": 0.12,  # a critical/security update pending for 3-12 weeks
    "av_disabled": 0.04,
    "av_stale": 0.08,  # definitions 5-40 days old
    "backup_failing": 0.07,  # last success 4-30 days ago, failures since
    "backup_never_configured": 0.10,
    "disk_full": 0.06,  # the system volume 90-99 % full
    "smart_failing": 0.02,  # physical disks only
    "firewall_off": 0.05,
    "not_encrypted": 0.12,  # laptops and desktops
    "extra_local_admin": 0.15,  # an ordinary user in the local administrators
    "offline_intermittent": 0.06,  # goes away for a while, comes back
    "offline_gone": 0.02,  # stops checking in and never comes back
}
OLD_BIOS_YEARS = 3  # a BIOS older than this is "old" (derived from age and updates)
AGE_WEIGHTS = (12, 18, 18, 15, 12, 10, 7, 5, 3)  # machines 0..8 years old


@dataclass(frozen=True)
class VolumeSpec:
    mount: str
    filesystem: str
    total_bytes: int
    used_fraction: float


@dataclass(frozen=True)
class DiskSpec:
    name: str
    model: str
    serial: str
    size_bytes: int
    media: str
    smart_status: str
    smart_detail: str = ""


@dataclass(frozen=True)
class SoftwareSpec:
    name: str
    version: str
    publisher: str
    install_date: dt.date | None


@dataclass(frozen=True)
class UpdateSpec:
    update_id: str
    title: str
    severity: str
    is_security: bool
    pending_since: dt.datetime


@dataclass(frozen=True)
class ProtectionSpec:
    product: str
    enabled: bool
    up_to_date: bool
    definitions_updated_at: dt.datetime | None


@dataclass(frozen=True)
class BackupSpec:
    tool: str
    job: str
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    detail: str = ""


@dataclass(frozen=True)
class InterfaceSpec:
    name: str
    mac: str
    addresses: tuple[str, ...]
    is_up: bool


@dataclass(frozen=True)
class MachineProfile:
    index: int
    seed: int
    hostname: str
    os: OsSpec
    kind: str  # workstation / laptop / server / virtual
    hardware: HardwareModel
    serial_number: str
    machine_id: str
    hardware_uuid: str
    cpu_model: str
    cpu_cores: int
    ram_bytes: int
    age_years: int
    purchased: dt.date
    bios_version: str
    bios_release_date: dt.date
    os_install_date: dt.date
    architecture: str
    disks: tuple[DiskSpec, ...]
    volumes: tuple[VolumeSpec, ...]
    interfaces: tuple[InterfaceSpec, ...]
    software: tuple[SoftwareSpec, ...]
    updates_pending: tuple[UpdateSpec, ...]
    updates_last_success_at: dt.datetime | None
    firewall: str
    firewall_product: str
    protection: tuple[ProtectionSpec, ...]
    encryption: tuple[tuple[str, str, str], ...]  # (volume, method, state)
    backups: tuple[BackupSpec, ...]
    local_admins: tuple[str, ...]
    users: tuple[str, ...]
    cpu_base: float  # typical CPU %, heartbeats drift around it
    memory_base: float  # typical memory use fraction
    uptime_days: float
    # "" (always on), "intermittent" (away offline_for check-ins, then back) or "gone".
    offline: str = ""
    offline_after: int = 0  # check-ins before going away
    offline_for: int = 0  # check-ins missed while away (intermittent)
    problems: frozenset[str] = field(default_factory=frozenset)
    today: dt.date = dt.date(2026, 1, 1)

    @property
    def os_family(self) -> str:
        return self.os.family

    @property
    def mac_addresses(self) -> list[str]:
        return [iface.mac for iface in self.interfaces if iface.mac]

    @property
    def end_of_life(self) -> bool:
        return self.os.is_end_of_life(self.today)

    @property
    def bios_age_years(self) -> float:
        return (self.today - self.bios_release_date).days / 365.25


def _weighted(rng: random.Random, choices: Sequence[tuple[object, float]]) -> object:
    total = sum(weight for _, weight in choices)
    pick = rng.uniform(0, total)
    for value, weight in choices:
        pick -= weight
        if pick <= 0:
            return value
    return choices[-1][0]


@functools.cache
def _base_version(name: str) -> tuple[int, int, int | None]:
    base = random.Random(f"version:{name}")  # noqa: S311  (not security: a fake version)
    return base.randint(1, 30), base.randint(0, 12), base.randint(1000, 9999) if base.random() < 0.3 else None


def _version(name: str, rng: random.Random, staleness: int) -> str:
    """A plausible version: stable per product, a little older on neglected machines."""
    major, minor, build = _base_version(name)
    version = f"{major}.{max(0, minor - staleness)}.{rng.randint(0, 40)}"
    return f"{version}.{build}" if build is not None else version


def _mac(rng: random.Random) -> str:
    return rng.choice(catalog.MAC_OUIS) + "".join(f":{rng.randint(0, 255):02x}" for _ in range(3))


def _dt(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59)), tzinfo=dt.UTC)


def _days_ago(today: dt.date, rng: random.Random, low: float, high: float) -> dt.datetime:
    moment = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC) - dt.timedelta(
        days=rng.uniform(low, high)
    )
    return moment.replace(microsecond=0)


def generate_fleet(count: int, seed: int = 1, today: dt.date | None = None) -> list[MachineProfile]:
    """``count`` machines; machine ``i`` depends only on ``seed``, ``i`` and ``today``."""
    today = today or dt.date.today()
    return [make_profile(index, seed, today) for index in range(count)]


def make_profile(index: int, seed: int, today: dt.date) -> MachineProfile:
    rng = random.Random(f"steward-sim:{seed}:{index}")  # noqa: S311  (simulation, not security)
    problems: set[str] = set()

    def roll(problem: str) -> bool:
        if rng.random() < RATES[problem]:
            problems.add(problem)
            return True
        return False

    os_spec = _weighted(rng, [(spec, spec.weight) for spec in catalog.OPERATING_SYSTEMS])
    assert isinstance(os_spec, OsSpec)
    family = os_spec.family

    # Hardware and age. End-of-life systems sit on older machines.
    age = int(_weighted(rng, list(enumerate(AGE_WEIGHTS))))  # type: ignore[call-overload]
    age = max(age, min(8, today.year - os_spec.released + rng.randint(-1, 1)) if os_spec.end_of_life else 0)
    pool: tuple[HardwareModel, ...]
    if family == "windows":
        pool = catalog.SERVER_HARDWARE if os_spec.server else catalog.WINDOWS_CLIENT_HARDWARE
    elif family == "macos":
        pool = catalog.MAC_HARDWARE
    else:
        server_linux = rng.random() < 0.8
        pool = catalog.SERVER_HARDWARE if server_linux else catalog.LINUX_DESKTOP_HARDWARE
    hardware = rng.choice(pool)
    chassis = hardware.chassis
    kind = {"desktop": "workstation", "laptop": "laptop", "server": "server", "virtual": "virtual"}[chassis]
    virtual = chassis == "virtual"
    if virtual:
        age = min(age, 4)  # VMs get rebuilt
    purchased = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))

    server = kind in {"server", "virtual"}
    prefix = {
        ("windows", True): "SRV",
        ("windows", False): "LT" if kind == "laptop" else "WS",
        ("macos", False): "MAC",
        ("linux", True): "lnx",
        ("linux", False): "lnx-ws",
    }.get((family, server), "HOST")
    hostname = f"{prefix}-{seed % 1000:03d}{index:05d}" if family != "linux" else f"{prefix}{index:05d}"

    cores = (
        rng.choice((2, 4, 4, 8)) if virtual else rng.choice((8, 16, 24, 32) if server else (4, 6, 8, 10, 12))
    )
    ram_gib = rng.choice((16, 32, 64, 128)) if server else rng.choice((8, 8, 16, 16, 16, 32))
    if age >= 6 and not server:
        ram_gib = min(ram_gib, 8)
    serial = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10))
    hardware_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
    machine_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex

    # BIOS: shipped with the machine; 55 % were updated in the last 18 months.
    bios_date = purchased - dt.timedelta(days=rng.randint(30, 200))
    if rng.random() < 0.55:
        bios_date = max(bios_date, today - dt.timedelta(days=rng.randint(20, 540)))
    bios_version = (
        f"{rng.randint(1, 2)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        if hardware.bios_vendor != "LENOVO"
        else f"N3{rng.choice('ABCDEFGH')}ET{rng.randint(40, 99)}W (1.{rng.randint(10, 60)} )".replace(
            " )", ")"
        )
    )
    os_install = max(purchased, today - dt.timedelta(days=rng.randint(30, 1500)))

    # Disks and volumes.
    media = "virtual" if virtual else ("nvme" if age <= 4 else rng.choice(("ssd", "hdd")))
    disk_count = rng.randint(2, 4) if kind == "server" else 1
    size_gib = rng.choice((256, 512, 512, 1024)) if not server else rng.choice((480, 960, 1920))
    disks = []
    smart_failing = not virtual and roll("smart_failing")
    for n in range(disk_count):
        failing = smart_failing and n == 0
        disks.append(
            DiskSpec(
                name=f"\\\\.\\PHYSICALDRIVE{n}"
                if family == "windows"
                else f"/dev/{'nvme0n1' if media == 'nvme' else 'sd' + 'abcd'[n]}",
                model={
                    "nvme": "Samsung SSD 980 PRO 1TB",
                    "ssd": "Crucial MX500 1TB",
                    "hdd": "WDC WD10EZEX-08WN4A0",
                    "virtual": "Virtual Disk",
                }[media],
                serial="" if virtual else f"S{rng.randint(10**9, 10**10 - 1)}",
                size_bytes=size_gib * GIB,
                media=media,
                smart_status="unknown" if virtual else ("failing" if failing else "ok"),
                smart_detail="Reallocated_Sector_Ct 412 above threshold; Current_Pending_Sector 38"
                if failing
                else "",
            )
        )
    full = roll("disk_full")
    system_used = rng.uniform(0.90, 0.99) if full else rng.uniform(0.25, 0.80)
    if family == "windows":
        volumes = [VolumeSpec("C:", "NTFS", size_gib * GIB - 600 * 1024**2, system_used)]
        if kind == "server":
            volumes.append(VolumeSpec("D:", "NTFS", size_gib * 2 * GIB, rng.uniform(0.2, 0.85)))
    elif family == "macos":
        volumes = [
            VolumeSpec("/", "apfs", size_gib * GIB, 0.05),
            VolumeSpec("/System/Volumes/Data", "apfs", size_gib * GIB, system_used),
        ]
    else:
        volumes = [
            VolumeSpec(
                "/",
                "ext4" if "Ubuntu" in os_spec.name or "Debian" in os_spec.name else "xfs",
                size_gib * GIB,
                system_used,
            ),
            VolumeSpec("/boot", "ext4", 1 * GIB, rng.uniform(0.2, 0.6)),
        ]
        if server:
            volumes.append(VolumeSpec("/var", "xfs", size_gib * GIB // 2, rng.uniform(0.1, 0.8)))

    # Network.
    subnet = rng.randint(0, 40)
    interfaces = [
        InterfaceSpec(
            {"windows": "Ethernet", "macos": "en0", "linux": "eth0" if virtual else "eno1"}[family],
            _mac(rng),
            (f"10.{subnet}.{rng.randint(0, 7)}.{rng.randint(10, 250)}",),
            True,
        )
    ]
    if kind == "laptop":
        interfaces.append(
            InterfaceSpec(
                {"windows": "Wi-Fi", "macos": "en1", "linux": "wlp0s20f3"}[family],
                _mac(rng),
                (f"192.168.{rng.randint(0, 5)}.{rng.randint(10, 250)}",),
                rng.random() < 0.5,
            )
        )

    # Software.
    staleness = 1 + age // 2
    base: tuple[tuple[str, str], ...]
    if family == "windows":
        base = catalog.WINDOWS_BASE
        extra = list(catalog.WINDOWS_APPS) + list(catalog.windows_generated())
        if os_spec.server:
            extra += list(catalog.WINDOWS_SERVER_APPS)
        target = rng.randint(150, 400)
    elif family == "macos":
        base = catalog.MAC_BASE
        extra = list(catalog.MAC_APPS) + [(name, "") for name in catalog.MAC_RECEIPTS + catalog.HOMEBREW]
        target = rng.randint(150, len(base) + len(extra))
    else:
        base = ()
        extra = [(name, "") for name in catalog.LINUX_PACKAGES]
        extra += [
            (name, "") for name in (catalog.LINUX_SERVER_EXTRAS if server else catalog.LINUX_DESKTOP_EXTRAS)
        ]
        target = rng.randint(200, min(400, len(extra)))
    extra = list(dict.fromkeys(extra))  # a product listed in two catalogues is installed once
    chosen = list(base) + rng.sample(extra, min(len(extra), max(0, target - len(base))))
    software = tuple(
        SoftwareSpec(
            name=name,
            version=_version(name, rng, staleness),
            publisher=publisher,
            install_date=None if family == "linux" else os_install + dt.timedelta(days=rng.randint(0, 300)),
        )
        for name, publisher in sorted(chosen)
    )

    # Updates: everyone has a few routine ones; some have a critical one pending for weeks.
    pending: list[UpdateSpec] = []
    for n in range(rng.choice((0, 0, 1, 2, 3))):
        pending.append(
            UpdateSpec(
                _update_id(family, rng, n),
                _update_title(family, os_spec, rng, routine=True),
                rng.choice(("moderate", "low", "important")),
                False,
                _days_ago(today, rng, 0, 6),
            )
        )
    critical = roll("critical_updates_pending") or (os_spec.is_end_of_life(today) and rng.random() < 0.5)
    if critical:
        problems.add("critical_updates_pending")
        pending.append(
            UpdateSpec(
                _update_id(family, rng, 9),
                _update_title(family, os_spec, rng, routine=False),
                "critical",
                True,
                _days_ago(today, rng, 21, 84),
            )
        )
    last_update = _days_ago(today, rng, 30, 120) if critical else _days_ago(today, rng, 0.5, 9)

    # Firewall, protection, encryption.
    firewall_off = roll("firewall_off")
    if family == "windows":
        firewall, firewall_product = (
            ("off" if firewall_off else rng.choice(("on",) * 9 + ("partial",))),
            "Windows Defender Firewall",
        )
    elif family == "macos":
        firewall, firewall_product = ("off" if firewall_off else "on"), "Application Firewall"
    else:
        firewall, firewall_product = (
            ("off" if firewall_off else "on"),
            "nftables" if "Debian" in os_spec.name else "ufw",
        )
    av_pool = {
        "windows": catalog.ANTIVIRUS_WINDOWS,
        "macos": catalog.ANTIVIRUS_MAC,
        "linux": catalog.ANTIVIRUS_LINUX,
    }[family]
    av_name = str(_weighted(rng, av_pool))
    protection: tuple[ProtectionSpec, ...] = ()
    if av_name:
        disabled = roll("av_disabled")
        stale = roll("av_stale")
        protection = (
            ProtectionSpec(
                av_name,
                enabled=not disabled,
                up_to_date=not stale,
                definitions_updated_at=_days_ago(today, rng, 5, 40) if stale else _days_ago(today, rng, 0, 1),
            ),
        )
    encryption: list[tuple[str, str, str]] = []
    unencrypted = kind in {"laptop", "workstation"} and roll("not_encrypted")
    if family == "windows":
        state = "not_encrypted" if unencrypted or (server and rng.random() < 0.7) else "encrypted"
        encryption.append(("C:", "BitLocker XTS-AES 128" if state == "encrypted" else "", state))
    elif family == "macos":
        encryption.append(
            ("/System/Volumes/Data", "FileVault", "not_encrypted" if unencrypted else "encrypted")
        )
    elif kind == "laptop":
        encryption.append(
            ("/", "LUKS2" if not unencrypted else "", "not_encrypted" if unencrypted else "encrypted")
        )

    # Backups.
    backups: tuple[BackupSpec, ...] = ()
    never = rng.random() < (
        RATES["backup_never_configured"] / 3 if server else RATES["backup_never_configured"]
    )
    if never:
        problems.add("backup_never_configured")
    else:
        if family == "windows":
            tool = rng.choice(catalog.BACKUP_SERVER_WINDOWS if server else catalog.BACKUP_WORKSTATION)
        elif family == "macos":
            tool = rng.choice(catalog.BACKUP_MAC)
        else:
            tool = rng.choice(catalog.BACKUP_LINUX)
        if roll("backup_failing"):
            backups = (
                BackupSpec(
                    tool,
                    f"{hostname} nightly",
                    _days_ago(today, rng, 4, 30),
                    _days_ago(today, rng, 0, 1),
                    rng.choice(
                        (
                            "VSS snapshot failed: 0x80042306",
                            "Destination unreachable: \\\\nas01\\backup",
                            "Repository is locked by another process",
                            "Insufficient space on the backup target",
                        )
                    ),
                ),
            )
        else:
            backups = (BackupSpec(tool, f"{hostname} nightly", _days_ago(today, rng, 0.2, 1.2), None),)

    # Users and administrators.
    users = tuple(rng.sample(catalog.FIRST_NAMES, 1 if not server else rng.randint(0, 2)))
    if family == "windows":
        admins = ["Administrator", "NORTHWIND\\Domain Admins"]
    elif family == "macos":
        admins = ["root", "itadmin"]
    else:
        admins = ["root"]
    if users and roll("extra_local_admin"):
        admins.append(users[0] if family != "windows" else f"NORTHWIND\\{users[0]}")

    # Offline behaviour: laptops wander off more often than servers.
    offline = ""
    offline_after = offline_for = 0
    if roll("offline_gone"):
        offline, offline_after = "gone", rng.randint(1, 4)
    elif rng.random() < (RATES["offline_intermittent"] * (2 if kind == "laptop" else 0.5)):
        problems.add("offline_intermittent")
        offline, offline_after, offline_for = "intermittent", rng.randint(1, 6), rng.randint(3, 20)

    if os_spec.is_end_of_life(today):
        problems.add("end_of_life_os")
    if (today - bios_date).days > OLD_BIOS_YEARS * 365:
        problems.add("old_bios")

    return MachineProfile(
        index=index,
        seed=seed,
        hostname=hostname,
        os=os_spec,
        kind=kind,
        hardware=hardware,
        serial_number="" if virtual else serial,
        machine_id=machine_id,
        hardware_uuid=hardware_uuid,
        cpu_model=rng.choice(hardware.cpu_models),
        cpu_cores=cores,
        ram_bytes=ram_gib * GIB,
        age_years=age,
        purchased=purchased,
        bios_version=bios_version,
        bios_release_date=bios_date,
        os_install_date=os_install,
        architecture="arm64" if hardware.cpu_models[0].startswith("Apple M") else "x86_64",
        disks=tuple(disks),
        volumes=tuple(volumes),
        interfaces=tuple(interfaces),
        software=software,
        updates_pending=tuple(pending),
        updates_last_success_at=last_update,
        firewall=firewall,
        firewall_product=firewall_product,
        protection=protection,
        encryption=tuple(encryption),
        backups=backups,
        local_admins=tuple(admins),
        users=users,
        cpu_base=rng.uniform(20, 55) if server else rng.uniform(3, 25),
        memory_base=rng.uniform(0.45, 0.85),
        uptime_days=rng.uniform(0.1, 60 if server else 12),
        offline=offline,
        offline_after=offline_after,
        offline_for=offline_for,
        problems=frozenset(problems),
        today=today,
    )


def _update_id(family: str, rng: random.Random, n: int) -> str:
    if family == "windows":
        return f"KB50{rng.randint(30000, 49999)}"
    if family == "macos":
        return f"MSU_UPDATE_{rng.randint(20, 24)}G{rng.randint(10, 999)}_patch_{n}"
    return rng.choice(
        ("openssl", "libssl3", "linux-image-generic", "openssh-server", "sudo", "curl", "tzdata", "systemd")
    )


def _update_title(family: str, os_spec: OsSpec, rng: random.Random, *, routine: bool) -> str:
    if family == "windows":
        if routine:
            return rng.choice(
                (
                    "Security Intelligence Update for Microsoft Defender Antivirus",
                    "Windows Malicious Software Removal Tool x64",
                    "Update for Microsoft Edge",
                    "Intel Corporation - Extension - 31.0.101.5186",
                )
            )
        product = os_spec.name.removesuffix(" Pro").removesuffix(" Standard")
        return f"Cumulative Update for {product} for x64-based Systems"
    if family == "macos":
        return f"{os_spec.name} {os_spec.version}.{rng.randint(1, 3)}" if not routine else "XProtectPayloads"
    return "Security update" if not routine else "Routine package update"
