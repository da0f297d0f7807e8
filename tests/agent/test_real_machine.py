"""The Linux collectors against this machine's real data (no mocks)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from steward_agent.collectors.base import Context, collectors_for
from steward_agent.collectors.linux.os_info import read_os_release
from steward_agent.heartbeat import build_heartbeat
from steward_agent.identity import collect_identity
from steward_agent.inventory import NIL_DEVICE, collect_inventory, inventory_hash
from steward_protocol.messages import Heartbeat, Inventory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux collectors")
HAS_DPKG = shutil.which("dpkg-query") is not None


def agent(*args: str, state_dir: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STEWARD_AGENT_STATE_DIR": str(state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "steward_agent", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Inventory:
    """`steward-agent collect --print`, run once for this module, validated by the wire model."""
    result = agent("collect", "--print", state_dir=tmp_path_factory.mktemp("state"))
    assert result.returncode == 0, result.stderr
    return Inventory.model_validate_json(result.stdout)


def test_collect_print_is_a_valid_inventory_of_this_machine(printed: Inventory) -> None:
    assert printed.device_id == NIL_DEVICE  # not enrolled
    assert printed.os.family == "linux"
    assert printed.inventory_hash == inventory_hash(printed)
    assert set(printed.collectors) >= {"hardware", "os", "software", "network", "updates", "firewall"}
    for name, status in printed.collectors.items():
        assert status.state in ("ok", "unknown", "error"), name
        if status.state != "ok":
            assert status.reason, f"{name} reports {status.state} without a reason"


def test_os_comes_from_os_release(printed: Inventory) -> None:
    release = read_os_release()
    assert printed.os.name == release["NAME"]
    assert printed.os.version == release.get("VERSION", release.get("VERSION_ID", ""))
    assert printed.os.kernel == os.uname().release
    assert printed.os.architecture == os.uname().machine


@pytest.mark.skipif(not HAS_DPKG, reason="dpkg-based system")
def test_software_is_the_real_dpkg_list(printed: Inventory) -> None:
    real = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    installed = {
        line.split("\t")[0]: line.split("\t")[1] for line in real if line.split("\t")[2].startswith("ii")
    }
    names = {s.name for s in printed.software}
    assert names == set(installed)
    bash = next(s for s in printed.software if s.name == "bash")
    assert bash.version == installed["bash"]
    assert bash.publisher  # the maintainer
    assert bash.install_date is not None


def test_network_interfaces_are_real(printed: Inventory) -> None:
    names = {n.name for n in printed.network}
    real = {name for name in os.listdir("/sys/class/net") if name != "lo"}
    assert names == real
    addresses = {a for n in printed.network for a in n.addresses}
    psutil_addresses = {
        a.address.split("%")[0]
        for name, addrs in psutil.net_if_addrs().items()
        if name != "lo"
        for a in addrs
        if a.family in (socket.AF_INET, socket.AF_INET6)
    }
    assert addresses == psutil_addresses
    for nic in printed.network:
        mac = Path(f"/sys/class/net/{nic.name}/address").read_text().strip()
        if mac != "00:00:00:00:00:00":
            assert nic.mac == mac


def test_hardware_reports_real_cpu_and_memory(printed: Inventory) -> None:
    assert printed.hardware.ram_bytes == psutil.virtual_memory().total
    assert printed.hardware.cpu_cores == (psutil.cpu_count(logical=False) or psutil.cpu_count())
    cpuinfo = Path("/proc/cpuinfo").read_text()
    if "model name" in cpuinfo:
        assert printed.hardware.cpu_model in cpuinfo
    lsblk = json.loads(
        subprocess.run(
            ["lsblk", "-J", "-d", "-o", "NAME,TYPE"], capture_output=True, text=True, check=True
        ).stdout
    )
    disks = {
        d["name"]
        for d in lsblk["blockdevices"]
        if d["type"] == "disk" and not d["name"].startswith(("loop", "ram", "zram"))
    }
    assert {d.name for d in printed.hardware.disks} == disks


def test_updates_and_admins_are_real(printed: Inventory) -> None:
    if shutil.which("apt-get"):
        sim = subprocess.run(
            ["apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        expected = {line.split()[1] for line in sim.splitlines() if line.startswith("Inst ")}
        assert {u.update_id for u in printed.updates.pending} == expected
        assert all(u.pending_since is not None for u in printed.updates.pending)
    assert "root" in printed.local_admins


def test_identity_uses_machine_id_and_hostname() -> None:
    identity = collect_identity()
    assert identity.hostname == socket.gethostname()
    if Path("/etc/machine-id").exists():
        assert identity.machine_id == Path("/etc/machine-id").read_text().strip()


def test_heartbeat_values_come_from_psutil() -> None:
    heartbeat = build_heartbeat(NIL_DEVICE, collect_identity(), "a" * 64, cpu_interval=0.2)
    Heartbeat.model_validate_json(heartbeat.model_dump_json())
    memory = psutil.virtual_memory()
    assert heartbeat.memory_total_bytes == memory.total
    assert abs(heartbeat.memory_used_bytes - (memory.total - memory.available)) < memory.total * 0.05
    assert 0 <= heartbeat.cpu_percent <= 100
    assert abs(heartbeat.uptime_seconds - (time.time() - psutil.boot_time())) < 60
    root = next(v for v in heartbeat.volumes if v.mount == "/")
    usage = psutil.disk_usage("/")
    assert root.total_bytes == usage.total
    assert heartbeat.logged_in_users == sorted({u.name for u in psutil.users()})
    if Path("/var/run/reboot-required").exists():
        assert heartbeat.pending_reboot is True
    elif HAS_DPKG and not shutil.which("needs-restarting"):
        assert heartbeat.pending_reboot is False


def test_collect_heartbeat_command(tmp_path: Path) -> None:
    result = agent("collect", "--heartbeat", state_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    heartbeat = Heartbeat.model_validate_json(result.stdout)
    assert heartbeat.identity.hostname == socket.gethostname()


def test_hash_is_stable_between_two_collections(tmp_path: Path) -> None:
    ctx = Context(state_dir=tmp_path)
    chosen = [
        c for c in collectors_for("linux") if c.section in ("os", "software", "local_admins", "updates")
    ]
    first = collect_inventory(ctx, collectors=chosen)
    second = collect_inventory(ctx, collectors=chosen)
    assert first.message_id != second.message_id
    assert first.inventory_hash == second.inventory_hash
