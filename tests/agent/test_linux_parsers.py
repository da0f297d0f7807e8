"""Linux collector parsers against recorded output of tools not installed on this machine
(rpm, dnf, ufw, nft, smartctl, restic, borg, LUKS setups)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from steward_agent.collectors import common
from steward_agent.collectors.base import CommandResult, Context, Unavailable
from steward_agent.collectors.linux import backups, hardware, security, software, updates
from steward_protocol.messages import PendingUpdate

APT_SIM = """\
NOTE: This is only a simulation!
Reading package lists...
Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security \
[amd64])
Inst liblzma-dev [5.4.1-1] (5.4.1-1+deb12u2 Debian-Security:12/oldstable-security [amd64]) []
Inst openssl [3.0.2-0ubuntu1.10] (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security \
[amd64])
Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])
"""


def test_apt_simulation() -> None:
    pending = updates.parse_apt_simulation(APT_SIM)
    assert [u.update_id for u in pending] == ["base-files", "libgcrypt20", "liblzma-dev", "openssl"]
    assert [u.is_security for u in pending] == [False, True, True, True]
    assert pending[0].title == "base-files 12.4+deb12u11 → 12.4+deb12u15"


APT_HISTORY = """
Start-Date: 2024-03-01  10:00:00
Commandline: apt-get upgrade
Upgrade: bash:amd64 (5.2.15-2+b2, 5.2.15-2+b7)
End-Date: 2024-03-01  10:01:00

Start-Date: 2024-03-05  09:00:00
Commandline: apt-get install vim
Install: vim:amd64 (2:9.0.1378-2)
End-Date: 2024-03-05  09:00:30

Start-Date: 2024-03-09  08:00:00
Commandline: apt-get upgrade
Upgrade: curl:amd64 (7.88.1-10, 7.88.1-10+deb12u5)
Error: Sub-process /usr/bin/dpkg returned an error code (1)
End-Date: 2024-03-09  08:00:05
"""


def test_apt_history_last_successful_upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    last = updates.parse_apt_history(APT_HISTORY)
    assert last is not None
    assert last.replace(tzinfo=None) == dt.datetime(2024, 3, 1, 10, 1)


DNF_CHECK = """
Last metadata expiration check: 0:12:01 ago on Tue 02 Jan 2024 10:00:00 AM UTC.

kernel.x86_64                     6.6.8-200.fc39               updates
openssl-libs.x86_64               1:3.1.1-4.fc39               updates
vim-minimal.x86_64                2:9.0.2167-1.fc39            updates
Obsoleting Packages
grub2-tools.x86_64                1:2.06-100.fc39              updates
"""
DNF_UPDATEINFO = """
FEDORA-2024-1a2b3c4d5e Important/Sec. kernel-6.6.8-200.fc39.x86_64
FEDORA-2024-aaaaaaaaaa Moderate/Sec.  openssl-libs-1:3.1.1-4.fc39.x86_64
FEDORA-2024-bbbbbbbbbb bugfix         vim-minimal-2:9.0.2167-1.fc39.x86_64
"""
DNF_HISTORY = """
ID     | Command line             | Date and time    | Action(s)      | Altered
-------------------------------------------------------------------------------
    14 | install htop             | 2024-01-03 09:00 | Install        |    1
    13 | upgrade -y               | 2024-01-02 08:30 | E, I, U        |   42
"""


def test_dnf_pending_with_severity() -> None:
    pending = {u.update_id: u for u in updates.dnf_pending(DNF_CHECK, DNF_UPDATEINFO)}
    assert set(pending) == {"kernel", "openssl-libs", "vim-minimal"}
    assert pending["kernel"].severity == "important"
    assert pending["kernel"].is_security
    assert pending["openssl-libs"].severity == "moderate"
    assert not pending["vim-minimal"].is_security
    assert "FEDORA-2024-1a2b3c4d5e" in pending["kernel"].title


def test_dnf_history_last_upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    last = updates.parse_dnf_history(DNF_HISTORY)
    assert last is not None and last.replace(tzinfo=None) == dt.datetime(2024, 1, 2, 8, 30)


def test_rpm_query() -> None:
    out = (
        "bash\t(none)\t5.2.21-1.fc39\tFedora Project\t1704189600\n"
        "openssl-libs\t1\t3.1.1-4.fc39\tFedora Project\t1704189601\n"
        "gpg-pubkey\t(none)\t18b8e74c-62f2920f\t(none)\t1704189602\n"
    )
    packages = software.parse_rpm(out)
    assert [(p.name, p.version, p.publisher) for p in packages] == [
        ("bash", "5.2.21-1.fc39", "Fedora Project"),
        ("openssl-libs", "1:3.1.1-4.fc39", "Fedora Project"),
    ]
    assert packages[0].install_date == dt.date(2024, 1, 2)


def test_dpkg_query_install_dates_from_file_lists(tmp_path: Path) -> None:
    (tmp_path / "libc6:amd64.list").write_text("")
    os.utime(tmp_path / "libc6:amd64.list", (1700000000, 1700000000))
    out = (
        "libc6:amd64\tlibc6\t2.36-9\tGNU Libc Maintainers <debian-glibc@lists.debian.org>\tii \n"
        "removed\tremoved\t1.0\tNobody <n@example.org>\trc \n"
        "bash\tbash\t5.2.15-2\tMatthias Klose <doko@debian.org>\tii \n"
    )
    packages = software.parse_dpkg(out, tmp_path)
    assert [p.name for p in packages] == ["libc6", "bash"]
    assert packages[0].install_date == dt.date(2023, 11, 14)
    assert packages[1].install_date is None


def test_ufw_and_nft() -> None:
    assert security.ufw_state("Status: active\n\nTo  Action  From\n") == "on"
    assert security.ufw_state("Status: inactive\n") == "off"
    ruleset = """table inet filter {
        chain input {
                type filter hook input priority filter; policy drop;
                ct state established,related accept
                iif "lo" accept
        }
}"""
    assert security.nft_rule_count(ruleset) == 2
    assert security.nft_rule_count("") == 0


def test_firewall_collector_prefers_an_active_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = {"ufw": "/usr/sbin/ufw", "nft": "/usr/sbin/nft"}
    monkeypatch.setattr(security, "which", installed.get)

    def fake_run(argv: list[str], **kwargs: object) -> CommandResult:
        if argv[0] == "ufw":
            return CommandResult(0, "Status: inactive\n", "")
        return CommandResult(0, "table inet filter {\n chain input {\n  tcp dport 22 accept\n }\n}\n", "")

    monkeypatch.setattr(security, "run_command", fake_run)
    firewall = security.collect_firewall(Context())
    assert (firewall.state, firewall.product) == ("on", "nftables")

    monkeypatch.setattr(security, "which", lambda name: None)
    with pytest.raises(Unavailable, match="none of ufw"):
        security.collect_firewall(Context())


LSBLK_LUKS = {
    "blockdevices": [
        {
            "name": "nvme0n1",
            "type": "disk",
            "fstype": None,
            "mountpoint": None,
            "children": [
                {"name": "nvme0n1p1", "type": "part", "fstype": "vfat", "mountpoint": "/boot/efi"},
                {"name": "nvme0n1p2", "type": "part", "fstype": "ext4", "mountpoint": "/boot"},
                {
                    "name": "nvme0n1p3",
                    "type": "part",
                    "fstype": "crypto_LUKS",
                    "mountpoint": None,
                    "children": [
                        {
                            "name": "dm_crypt-0",
                            "type": "crypt",
                            "fstype": "LVM2_member",
                            "mountpoint": None,
                            "children": [
                                {"name": "vg-root", "type": "lvm", "fstype": "ext4", "mountpoint": "/"},
                                {"name": "vg-swap", "type": "lvm", "fstype": "swap", "mountpoint": "[SWAP]"},
                            ],
                        }
                    ],
                },
            ],
        },
        {
            "name": "sda",
            "type": "disk",
            "fstype": None,
            "mountpoint": None,
            "children": [
                {"name": "sda1", "type": "part", "fstype": "ext4", "mountpoint": "/srv/data"},
            ],
        },
    ]
}


def test_luks_detection() -> None:
    volumes = {v.volume: v for v in security.encryption_from_lsblk(LSBLK_LUKS)}
    assert volumes["/"].state == "encrypted" and volumes["/"].method == "LUKS"
    assert volumes["swap"].state == "encrypted"
    assert volumes["/boot"].state == "not_encrypted"
    assert volumes["/srv/data"].state == "not_encrypted"


def test_smartctl_json(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {
        "/dev/sda": {"smart_status": {"passed": True}},
        "/dev/sdb": {"smart_status": {"passed": False}},
        "/dev/vda": {
            "smartctl": {
                "messages": [{"string": "/dev/vda: Unable to detect device type", "severity": "error"}]
            }
        },
    }
    monkeypatch.setattr(
        hardware, "run_command", lambda argv, **kw: CommandResult(0, json.dumps(answers[argv[-1]]), "")
    )
    assert hardware.smart_health("/dev/sda", Context()) == ("ok", "")
    assert hardware.smart_health("/dev/sdb", Context()) == ("failing", "")
    assert hardware.smart_health("/dev/vda", Context()) == (
        "unknown",
        "/dev/vda: Unable to detect device type",
    )


def test_chassis_and_media() -> None:
    assert hardware.chassis_of("10", "LENOVO", "20XW", "") == "laptop"
    assert hardware.chassis_of("17", "Dell Inc.", "PowerEdge R740", "") == "server"
    assert hardware.chassis_of("3", "QEMU", "Standard PC", "") == "virtual"
    assert hardware.chassis_of("", "", "", "kvm") == "virtual"
    assert hardware.media_of({"name": "nvme0n1", "rota": False}) == "nvme"
    assert hardware.media_of({"name": "sda", "rota": True}) == "hdd"
    assert hardware.media_of({"name": "sdb", "rota": False}) == "ssd"
    assert hardware.parse_bios_date("03/14/2023") == dt.date(2023, 3, 14)


RESTIC_SNAPSHOTS = [
    {"time": "2024-05-01T02:00:03.123456789+02:00", "hostname": "web1", "paths": ["/srv"], "id": "a" * 64},
    {"time": "2024-05-02T02:00:04.5+02:00", "hostname": "web1", "paths": ["/srv"], "id": "b" * 64},
]
BORG_INFO = {
    "archives": [
        {
            "name": "web1-2024-05-02",
            "start": "2024-05-02T01:00:00.000000",
            "end": "2024-05-02T01:10:00.000000",
        }
    ],
    "repository": {"location": "/backup/borg"},
}


def test_restic_and_borg_parsers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    assert backups.parse_restic_snapshots(RESTIC_SNAPSHOTS) == dt.datetime(
        2024, 5, 2, 0, 0, 4, 500000, tzinfo=dt.UTC
    )
    assert backups.parse_restic_snapshots([]) is None
    last = backups.parse_borg_info(BORG_INFO)
    assert last is not None and last.hour == 1 and last.minute == 10


def test_restic_collector_passes_the_repository_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run(argv: list[str], **kwargs: object) -> CommandResult:
        seen["argv"], seen["env"] = argv, kwargs.get("env")
        return CommandResult(0, json.dumps(RESTIC_SNAPSHOTS), "")

    monkeypatch.setattr(backups, "run_command", fake_run)
    ctx = Context(
        settings={"restic_repository": "sftp:backup@nas:/restic", "restic_password_file": "/etc/restic.pw"}
    )
    backup = backups.restic_backup(ctx)
    assert backup.tool == "restic" and backup.last_success_at is not None
    assert seen["argv"] == ["restic", "snapshots", "--json", "--no-lock"]
    assert seen["env"] == {
        "RESTIC_REPOSITORY": "sftp:backup@nas:/restic",
        "RESTIC_PASSWORD_FILE": "/etc/restic.pw",
    }


def test_systemd_backup_units() -> None:
    ok = backups.backup_from_unit(
        "restic-backup.service",
        backups.parse_systemctl_show("Result=success\nExecMainStatus=0\nExecMainExitTimestamp=@1714608000\n"),
    )
    assert (
        ok is not None
        and ok.tool == "restic"
        and ok.last_success_at is not None
        and ok.last_failure_at is None
    )
    failed = backups.backup_from_unit(
        "borgmatic.service",
        backups.parse_systemctl_show(
            "Result=exit-code\nExecMainStatus=2\nExecMainExitTimestamp=@1714608000\n"
        ),
    )
    assert failed is not None and failed.tool == "borgmatic" and failed.last_failure_at is not None
    never = backups.backup_from_unit("borg.service", {"Result": "success", "ExecMainExitTimestamp": ""})
    assert never is None


def test_pending_since_is_remembered(tmp_path: Path) -> None:
    ctx = Context(state_dir=tmp_path)
    day1 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    day5 = dt.datetime(2024, 1, 5, tzinfo=dt.UTC)
    first = common.with_pending_since(
        ctx, [PendingUpdate(update_id="bash"), PendingUpdate(update_id="curl")], day1
    )
    assert all(u.pending_since == day1 for u in first)
    later = common.with_pending_since(
        ctx, [PendingUpdate(update_id="bash"), PendingUpdate(update_id="zlib")], day5
    )
    assert {u.update_id: u.pending_since for u in later} == {"bash": day1, "zlib": day5}
    # curl was installed in between: if it comes back its age starts again.
    again = common.with_pending_since(ctx, [PendingUpdate(update_id="curl")], day5)
    assert again[0].pending_since == day5
