"""Catalogues the fleet draws from: operating systems, hardware models and software names.

Names are real products and packages so lists, searches and policies look like a real
estate; versions are made up (deterministically) by :mod:`~steward.devices.simulator.fleet`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class OsSpec:
    family: str  # windows / linux / macos
    name: str
    version: str
    build: str
    kernel: str
    weight: float  # percent of the fleet
    end_of_life: dt.date | None = None
    server: bool = False
    released: int = 2020  # year; machines older than this shipped with something else

    def is_end_of_life(self, today: dt.date) -> bool:
        return self.end_of_life is not None and self.end_of_life <= today


# 70 % Windows, 15 % macOS, 15 % Linux. End-of-life dates are the vendors' published ones.
OPERATING_SYSTEMS: tuple[OsSpec, ...] = (
    OsSpec("windows", "Windows 11 Pro", "23H2", "22631", "10.0.22631", 22, released=2023),
    OsSpec("windows", "Windows 11 Pro", "24H2", "26100", "10.0.26100", 24, released=2024),
    OsSpec(
        "windows", "Windows 10 Pro", "22H2", "19045", "10.0.19045", 4.5, dt.date(2025, 10, 14), released=2019
    ),
    OsSpec(
        "windows",
        "Windows 7 Professional",
        "SP1",
        "7601",
        "6.1.7601",
        1.5,
        dt.date(2020, 1, 14),
        released=2017,
    ),
    OsSpec(
        "windows",
        "Windows Server 2022 Standard",
        "21H2",
        "20348",
        "10.0.20348",
        8,
        server=True,
        released=2021,
    ),
    OsSpec(
        "windows",
        "Windows Server 2019 Standard",
        "1809",
        "17763",
        "10.0.17763",
        5,
        dt.date(2029, 1, 9),
        server=True,
        released=2018,
    ),
    OsSpec(
        "windows",
        "Windows Server 2016 Standard",
        "1607",
        "14393",
        "10.0.14393",
        3,
        dt.date(2027, 1, 12),
        server=True,
        released=2017,
    ),
    OsSpec(
        "windows",
        "Windows Server 2012 R2 Standard",
        "6.3",
        "9600",
        "6.3.9600",
        2,
        dt.date(2023, 10, 10),
        server=True,
        released=2017,
    ),
    OsSpec("macos", "macOS Sequoia", "15.6", "24G84", "Darwin 24.6.0", 7, released=2024),
    OsSpec("macos", "macOS Sonoma", "14.7", "23H124", "Darwin 23.6.0", 5.5, released=2023),
    OsSpec(
        "macos", "macOS Ventura", "13.7", "22H123", "Darwin 22.6.0", 1, dt.date(2025, 9, 15), released=2022
    ),
    OsSpec(
        "macos",
        "macOS Monterey",
        "12.7",
        "21H1123",
        "Darwin 21.6.0",
        0.5,
        dt.date(2024, 9, 16),
        released=2021,
    ),
    OsSpec(
        "macos", "macOS Big Sur", "11.7", "20G1427", "Darwin 20.6.0", 1, dt.date(2023, 9, 26), released=2019
    ),
    OsSpec(
        "linux", "Ubuntu", "22.04.5 LTS", "jammy", "5.15.0-122-generic", 5, dt.date(2027, 4, 1), True, 2022
    ),
    OsSpec("linux", "Ubuntu", "24.04.1 LTS", "noble", "6.8.0-45-generic", 4, dt.date(2029, 4, 1), True, 2024),
    OsSpec(
        "linux", "Debian GNU/Linux", "12", "bookworm", "6.1.0-26-amd64", 2, dt.date(2028, 6, 30), True, 2023
    ),
    OsSpec(
        "linux",
        "Red Hat Enterprise Linux",
        "9.4",
        "Plow",
        "5.14.0-427.el9.x86_64",
        1.5,
        dt.date(2032, 5, 31),
        True,
        2022,
    ),
    OsSpec(
        "linux",
        "Rocky Linux",
        "9.4",
        "Blue Onyx",
        "5.14.0-427.el9.x86_64",
        1,
        dt.date(2032, 5, 31),
        True,
        2022,
    ),
    OsSpec(
        "linux",
        "CentOS Linux",
        "7.9.2009",
        "Core",
        "3.10.0-1160.el7.x86_64",
        1.5,
        dt.date(2024, 6, 30),
        True,
        2015,
    ),
)


@dataclass(frozen=True)
class HardwareModel:
    vendor: str
    model: str
    chassis: str  # desktop / laptop / server / virtual
    cpu_models: tuple[str, ...]
    bios_vendor: str


WINDOWS_CLIENT_HARDWARE = (
    HardwareModel(
        "Dell Inc.", "OptiPlex 7090", "desktop", ("Intel(R) Core(TM) i5-10505 CPU @ 3.20GHz",), "Dell Inc."
    ),
    HardwareModel(
        "Dell Inc.", "OptiPlex 7010", "desktop", ("13th Gen Intel(R) Core(TM) i5-13500",), "Dell Inc."
    ),
    HardwareModel(
        "Dell Inc.", "Latitude 5440", "laptop", ("13th Gen Intel(R) Core(TM) i5-1345U",), "Dell Inc."
    ),
    HardwareModel(
        "Dell Inc.",
        "Latitude 7420",
        "laptop",
        ("11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz",),
        "Dell Inc.",
    ),
    HardwareModel(
        "HP", "EliteBook 840 G8", "laptop", ("11th Gen Intel(R) Core(TM) i5-1145G7 @ 2.60GHz",), "HP"
    ),
    HardwareModel(
        "HP", "ProDesk 400 G7 Microtower PC", "desktop", ("Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz",), "HP"
    ),
    HardwareModel(
        "HP", "EliteDesk 800 G6 Small Form Factor PC", "desktop", ("Intel(R) Core(TM) i7-10700",), "HP"
    ),
    HardwareModel(
        "LENOVO", "ThinkPad T14 Gen 3", "laptop", ("12th Gen Intel(R) Core(TM) i5-1245U",), "LENOVO"
    ),
    HardwareModel(
        "LENOVO", "ThinkPad X1 Carbon Gen 11", "laptop", ("13th Gen Intel(R) Core(TM) i7-1365U",), "LENOVO"
    ),
    HardwareModel(
        "LENOVO", "ThinkCentre M70q Gen 2", "desktop", ("11th Gen Intel(R) Core(TM) i5-11400T",), "LENOVO"
    ),
    HardwareModel(
        "Microsoft Corporation",
        "Surface Laptop 5",
        "laptop",
        ("12th Gen Intel(R) Core(TM) i5-1245U",),
        "Microsoft",
    ),
)
SERVER_HARDWARE = (
    HardwareModel(
        "Dell Inc.", "PowerEdge R650", "server", ("Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz",), "Dell Inc."
    ),
    HardwareModel(
        "Dell Inc.", "PowerEdge R740", "server", ("Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",), "Dell Inc."
    ),
    HardwareModel(
        "Dell Inc.", "PowerEdge T340", "server", ("Intel(R) Xeon(R) E-2234 CPU @ 3.60GHz",), "Dell Inc."
    ),
    HardwareModel(
        "HPE", "ProLiant DL380 Gen10", "server", ("Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz",), "HPE"
    ),
    HardwareModel(
        "VMware, Inc.", "VMware7,1", "virtual", ("Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",), "VMware, Inc."
    ),
    HardwareModel(
        "Microsoft Corporation",
        "Virtual Machine",
        "virtual",
        ("Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz",),
        "Microsoft Corporation",
    ),
    HardwareModel(
        "QEMU", "Standard PC (Q35 + ICH9, 2009)", "virtual", ("AMD EPYC 7543 32-Core Processor",), "SeaBIOS"
    ),
)
MAC_HARDWARE = (
    HardwareModel("Apple Inc.", "MacBookPro18,1", "laptop", ("Apple M1 Pro",), "Apple Inc."),
    HardwareModel("Apple Inc.", "MacBookAir10,1", "laptop", ("Apple M1",), "Apple Inc."),
    HardwareModel("Apple Inc.", "Mac14,2", "laptop", ("Apple M2",), "Apple Inc."),
    HardwareModel("Apple Inc.", "Macmini9,1", "desktop", ("Apple M1",), "Apple Inc."),
    HardwareModel("Apple Inc.", "iMac21,1", "desktop", ("Apple M1",), "Apple Inc."),
    HardwareModel(
        "Apple Inc.", "MacBookPro16,1", "laptop", ("Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz",), "Apple Inc."
    ),
)
LINUX_DESKTOP_HARDWARE = (
    HardwareModel("LENOVO", "ThinkPad T14 Gen 3", "laptop", ("AMD Ryzen 7 PRO 6850U",), "LENOVO"),
    HardwareModel(
        "Dell Inc.", "XPS 13 9310", "laptop", ("11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz",), "Dell Inc."
    ),
    HardwareModel(
        "Dell Inc.", "Precision 3660", "desktop", ("12th Gen Intel(R) Core(TM) i7-12700",), "Dell Inc."
    ),
)

ANTIVIRUS_WINDOWS = (
    ("Microsoft Defender Antivirus", 70),
    ("Sophos Intercept X", 10),
    ("SentinelOne", 8),
    ("CrowdStrike Falcon", 7),
    ("ESET Endpoint Security", 5),
)
ANTIVIRUS_MAC = (("XProtect", 60), ("SentinelOne", 20), ("CrowdStrike Falcon", 12), ("Sophos Home", 8))
ANTIVIRUS_LINUX = (("", 55), ("CrowdStrike Falcon", 25), ("ClamAV", 15), ("SentinelOne", 5))

BACKUP_WORKSTATION = ("Datto Endpoint Backup", "Acronis Cyber Protect", "Veeam Agent for Microsoft Windows")
BACKUP_SERVER_WINDOWS = ("Veeam Backup & Replication", "Windows Server Backup", "Datto SIRIS")
BACKUP_LINUX = ("restic", "BorgBackup", "Veeam Agent for Linux")
BACKUP_MAC = ("Time Machine", "Backblaze", "Acronis Cyber Protect")

MAC_OUIS = ("3c:52:82", "d8:9e:f3", "00:50:56", "f8:ff:c2", "a4:83:e7", "8c:16:45", "00:15:5d", "e4:54:e8")

FIRST_NAMES = _words(
    "alice bob carol dave erin frank grace heidi ivan judy mallory nina oscar peggy quinn rupert "
    "sybil trent ursula victor wendy xavier yasmin zoe"
)

# --- software ------------------------------------------------------------------------------
# (name, publisher). Everyone gets the "base" set of their OS; the rest is sampled.

WINDOWS_BASE = (
    ("Microsoft Edge", "Microsoft Corporation"),
    ("Microsoft Edge WebView2 Runtime", "Microsoft Corporation"),
    ("Microsoft Update Health Tools", "Microsoft Corporation"),
    ("Windows PC Health Check", "Microsoft Corporation"),
    ("Microsoft OneDrive", "Microsoft Corporation"),
    ("Steward Agent", "Steward"),
)
WINDOWS_APPS = (
    ("Google Chrome", "Google LLC"),
    ("Mozilla Firefox (x64 en-GB)", "Mozilla"),
    ("Mozilla Maintenance Service", "Mozilla"),
    ("Microsoft 365 Apps for business - en-us", "Microsoft Corporation"),
    ("Microsoft Teams", "Microsoft Corporation"),
    ("Microsoft Teams Meeting Add-in for Microsoft Office", "Microsoft"),
    ("Adobe Acrobat Reader DC", "Adobe Systems Incorporated"),
    ("Adobe Acrobat (64-bit)", "Adobe"),
    ("Adobe Genuine Service", "Adobe Inc."),
    ("Zoom Workplace (64-bit)", "Zoom Video Communications, Inc."),
    ("7-Zip 23.01 (x64)", "Igor Pavlov"),
    ("Notepad++ (64-bit x64)", "Notepad++ Team"),
    ("VLC media player", "VideoLAN"),
    ("Java 8 Update 411", "Oracle Corporation"),
    ("Java(TM) SE Development Kit 17 (64-bit)", "Oracle Corporation"),
    ("Git", "The Git Development Community"),
    ("Microsoft Visual Studio Code", "Microsoft Corporation"),
    ("Python 3.11.9 (64-bit)", "Python Software Foundation"),
    ("Python Launcher", "Python Software Foundation"),
    ("PuTTY release 0.81 (64-bit)", "Simon Tatham"),
    ("WinSCP", "Martin Prikryl"),
    ("FileZilla 3.67.0", "Tim Kosse"),
    ("TeamViewer", "TeamViewer"),
    ("AnyDesk", "AnyDesk Software GmbH"),
    ("Cisco Secure Client - AnyConnect VPN", "Cisco Systems, Inc."),
    ("FortiClient VPN", "Fortinet Technologies Inc"),
    ("GlobalProtect", "Palo Alto Networks"),
    ("Dropbox", "Dropbox, Inc."),
    ("Slack (Machine - MSI)", "Slack Technologies Inc."),
    ("Citrix Workspace 2309", "Citrix Systems, Inc."),
    ("Greenshot 1.2.10.6", "Greenshot"),
    ("KeePass Password Safe 2.57", "Dominik Reichl"),
    ("LastPass", "LastPass"),
    ("Bitwarden", "Bitwarden Inc."),
    ("Foxit PDF Reader", "Foxit Software Inc."),
    ("PDF24 Creator", "Geek Software GmbH"),
    ("Sage 50 Accounts", "Sage (UK) Limited"),
    ("QuickBooks", "Intuit Inc."),
    ("Dentrix", "Henry Schein One"),
    ("Dolphin Imaging", "Dolphin Imaging Systems"),
    ("SAP GUI for Windows 8.00", "SAP"),
    ("Crystal Reports Basic Runtime for Visual Studio 2008", "Business Objects"),
    ("Microsoft SQL Server 2019 Express LocalDB", "Microsoft Corporation"),
    ("Microsoft SQL Server Management Studio - 19.3", "Microsoft Corporation"),
    ("Microsoft ODBC Driver 17 for SQL Server", "Microsoft Corporation"),
    ("Microsoft OLE DB Driver for SQL Server", "Microsoft Corporation"),
    ("Microsoft Access database engine 2016 (English)", "Microsoft Corporation"),
    ("Microsoft Power BI Desktop (x64)", "Microsoft Corporation"),
    ("Microsoft Project - en-us", "Microsoft Corporation"),
    ("Microsoft Visio - en-us", "Microsoft Corporation"),
    ("Microsoft GameInput", "Microsoft Corporation"),
    ("Microsoft Policy Platform", "Microsoft Corporation"),
    ("Microsoft Intune Management Extension", "Microsoft Corporation"),
    ("Windows Subsystem for Linux", "Microsoft Corporation"),
    ("Office 16 Click-to-Run Extensibility Component", "Microsoft Corporation"),
    ("Office 16 Click-to-Run Licensing Component", "Microsoft Corporation"),
    ("Office 16 Click-to-Run Localization Component", "Microsoft Corporation"),
    ("Intel(R) Chipset Device Software", "Intel(R) Corporation"),
    ("Intel(R) Management Engine Components", "Intel Corporation"),
    ("Intel(R) Serial IO", "Intel Corporation"),
    ("Intel(R) Wireless Bluetooth(R)", "Intel Corporation"),
    ("Intel(R) PROSet/Wireless Software", "Intel Corporation"),
    ("Intel(R) Rapid Storage Technology", "Intel Corporation"),
    ("Intel(R) Graphics Driver", "Intel Corporation"),
    ("Realtek High Definition Audio Driver", "Realtek Semiconductor Corp."),
    ("Realtek Card Reader", "Realtek Semiconductor Corp."),
    ("Realtek Ethernet Controller Driver", "Realtek"),
    ("NVIDIA Graphics Driver 552.22", "NVIDIA Corporation"),
    ("NVIDIA PhysX System Software 9.21.0713", "NVIDIA Corporation"),
    ("NVIDIA HD Audio Driver 1.3.40.14", "NVIDIA Corporation"),
    ("Dell Command | Update", "Dell Inc."),
    ("Dell SupportAssist", "Dell Inc."),
    ("Dell Optimizer", "Dell Inc."),
    ("HP Support Assistant", "HP Inc."),
    ("HP Wolf Security", "HP Inc."),
    ("HP Sure Recover", "HP Inc."),
    ("Lenovo Vantage Service", "Lenovo Group Ltd."),
    ("Lenovo System Update", "Lenovo"),
    ("Synaptics Pointing Device Driver", "Synaptics Incorporated"),
    ("Logitech Options+", "Logitech"),
    ("Poly Lens", "HP Inc."),
    ("Jabra Direct", "GN Audio A/S"),
    ("Windows Driver Package - Intel (e1dexpress) Net", "Intel"),
    ("Windows Driver Package - Lenovo (WUDFRd) LenovoVhid", "Lenovo"),
    ("Windows Driver Package - Dell Inc. (DDDriver) System", "Dell Inc."),
    ("Windows SDK AddOn", "Microsoft Corporation"),
    ("Windows Software Development Kit - Windows 10.0.22621.2428", "Microsoft Corporation"),
    ("Universal CRT Tools x64", "Microsoft Corporation"),
    ("Universal CRT Redistributable", "Microsoft Corporation"),
    ("Node.js", "Node.js Foundation"),
    ("Docker Desktop", "Docker Inc."),
    ("PowerShell 7-x64", "Microsoft Corporation"),
    ("Microsoft Azure CLI", "Microsoft Corporation"),
    ("Remote Desktop Connection Manager", "Microsoft Corporation"),
    ("Wireshark 4.2.5 x64", "The Wireshark developer community"),
    ("Npcap", "Nmap Project"),
    ("Spotify", "Spotify AB"),
    ("WhatsApp", "WhatsApp Inc."),
    ("Grammarly for Microsoft Office Suite", "Grammarly"),
    ("DisplayLink Graphics", "DisplayLink Corp."),
)
WINDOWS_SERVER_APPS = (
    ("Microsoft SQL Server 2019 (64-bit)", "Microsoft Corporation"),
    ("Microsoft SQL Server 2019 Setup (English)", "Microsoft Corporation"),
    ("SQL Server 2019 Database Engine Services", "Microsoft Corporation"),
    ("SQL Server 2019 Common Files", "Microsoft Corporation"),
    ("Microsoft System CLR Types for SQL Server 2019", "Microsoft Corporation"),
    ("VMware Tools", "VMware, Inc."),
    ("Dell OpenManage Server Administrator", "Dell Inc."),
    ("iDRAC Service Module", "Dell Inc."),
    ("HPE Agentless Management Service", "Hewlett Packard Enterprise"),
    ("Veeam Backup & Replication Console", "Veeam Software Group GmbH"),
    ("Veeam Backup Transport", "Veeam Software Group GmbH"),
    ("Microsoft Azure AD Connect", "Microsoft Corporation"),
    ("Microsoft Exchange Server 2019 Cumulative Update 14", "Microsoft Corporation"),
    ("IIS URL Rewrite Module 2", "Microsoft Corporation"),
    ("Microsoft Web Deploy 4.0", "Microsoft Corporation"),
    ("PowerShell 7-x64", "Microsoft Corporation"),
    ("Microsoft Monitoring Agent", "Microsoft Corporation"),
    ("Azure Connected Machine Agent", "Microsoft Corporation"),
    ("Remote Desktop Services Licensing", "Microsoft Corporation"),
    ("Windows Admin Center", "Microsoft Corporation"),
)


@functools.cache
def windows_generated() -> tuple[tuple[str, str], ...]:
    """Runtimes, redistributables and Office MSI hotfixes: the long tail of a Programs list."""
    items: list[tuple[str, str]] = []
    for year, version in (
        ("2005", "8.0.61001"),
        ("2008", "9.0.30729.6161"),
        ("2010", "10.0.40219"),
        ("2012", "11.0.61030"),
        ("2013", "12.0.40664"),
    ):
        for arch in ("x86", "x64"):
            items.append(
                (f"Microsoft Visual C++ {year} Redistributable ({arch}) - {version}", "Microsoft Corporation")
            )
    for arch in ("x86", "x64"):
        items.append(
            (
                f"Microsoft Visual C++ 2015-2022 Redistributable ({arch}) - 14.40.33810",
                "Microsoft Corporation",
            )
        )
        for kind in ("Minimum", "Additional"):
            items.append(
                (
                    f"Microsoft Visual C++ 2022 {arch.upper()} {kind} Runtime - 14.40.33810",
                    "Microsoft Corporation",
                )
            )
    for major in ("6.0.33", "7.0.20", "8.0.10"):
        for arch in ("x86", "x64"):
            items.append((f"Microsoft .NET Runtime - {major} ({arch})", "Microsoft Corporation"))
            items.append((f"Microsoft Windows Desktop Runtime - {major} ({arch})", "Microsoft Corporation"))
            items.append(
                (f"Microsoft ASP.NET Core {major} Shared Framework ({arch})", "Microsoft Corporation")
            )
    items.append(("Microsoft .NET Framework 4.8.1 Targeting Pack", "Microsoft Corporation"))
    items.append(("Microsoft .NET Framework 4.8 SDK", "Microsoft Corporation"))
    components = (
        "Office",
        "Outlook",
        "Excel",
        "Word",
        "PowerPoint",
        "OneNote",
        "Skype for Business",
        "Publisher",
    )
    for n in range(240):
        component = components[n % len(components)]
        items.append(
            (f"Update for Microsoft {component} 2016 (KB{5002000 + n * 7}) 64-Bit Edition", "Microsoft")
        )
    return tuple(items)


LINUX_PACKAGES = _words(
    "adduser apt apt-utils base-files base-passwd bash bash-completion bind9-dnsutils bind9-host bind9-libs "
    "binutils bsdextrautils bsdutils busybox bzip2 ca-certificates chrony cloud-init console-setup coreutils "
    "cpio cron cron-daemon-common curl dash dbus dbus-user-session debconf debianutils diffutils dirmngr "
    "distro-info-data dmidecode dmsetup dpkg e2fsprogs ethtool fdisk file findutils fonts-dejavu-core "
    "fuse3 gawk gcc-12-base gettext-base gnupg gnupg-l10n gnupg-utils gpg gpg-agent gpgconf gpgsm gpgv grep "
    "groff-base grub-common grub-pc grub2-common gzip hostname htop ifupdown init init-system-helpers "
    "initramfs-tools iproute2 iptables iputils-ping isc-dhcp-client kbd keyboard-configuration kmod less "
    "libacl1 libapparmor1 libapt-pkg6.0 libargon2-1 libattr1 libaudit1 libblkid1 libbpf1 libbrotli1 "
    "libbsd0 libbz2-1.0 libc-bin libc6 libcap-ng0 libcap2 libcap2-bin libcom-err2 libcrypt1 "
    "libcryptsetup12 libcurl4 libdb5.3 libdebconfclient0 libdevmapper1.02.1 libedit2 libelf1 libexpat1 "
    "libext2fs2 libfdisk1 libffi8 libfido2-1 libgcc-s1 libgcrypt20 libgdbm6 libglib2.0-0 libgmp10 "
    "libgnutls30 libgpg-error0 libgssapi-krb5-2 libhogweed6 libidn2-0 libip4tc2 libjansson4 libjson-c5 "
    "libk5crypto3 libkeyutils1 libkmod2 libkrb5-3 libkrb5support0 libldap-2.5-0 liblz4-1 liblzma5 "
    "libmd0 libmnl0 libmount1 libncursesw6 libnettle8 libnewt0.52 libnftables1 libnftnl11 libnghttp2-14 "
    "libnss-systemd libp11-kit0 libpam-modules libpam-modules-bin libpam-runtime libpam-systemd libpam0g "
    "libpcre2-8-0 libpopt0 libproc2-0 libpsl5 libpython3.11-minimal libpython3.11-stdlib libreadline8 "
    "librtmp1 libsasl2-2 libsasl2-modules-db libseccomp2 libselinux1 libsemanage2 libsepol2 libslang2 "
    "libsmartcols1 libsqlite3-0 libss2 libssh2-1 libssl3 libstdc++6 libsystemd-shared libsystemd0 "
    "libtasn1-6 libtext-charwidth-perl libtext-iconv-perl libtinfo6 libtirpc-common libtirpc3 libudev1 "
    "libunistring2 libuuid1 libxtables12 libxxhash0 libzstd1 linux-base locales login logrotate "
    "lsb-release lsof man-db manpages mawk media-types mount nano ncurses-base ncurses-bin netbase "
    "netcat-openbsd nftables openssh-client openssh-server openssh-sftp-server openssl passwd patch perl "
    "perl-base perl-modules-5.36 pinentry-curses procps psmisc python3 python3-apt python3-certifi "
    "python3-chardet python3-debconf python3-debian python3-idna python3-minimal python3-pkg-resources "
    "python3-requests python3-six python3-urllib3 python3-yaml python3.11 python3.11-minimal "
    "qemu-guest-agent "
    "readline-common rsync rsyslog runit-helper sed sensible-utils smartmontools sudo systemd "
    "systemd-sysv systemd-timesyncd sysvinit-utils tar tcpdump tmux traceroute tzdata ucf udev "
    "unattended-upgrades "
    "usrmerge util-linux vim vim-common vim-runtime vim-tiny wget whiptail xz-utils zlib1g zstd"
)
LINUX_SERVER_EXTRAS = _words(
    "nginx nginx-common apache2 apache2-bin apache2-data apache2-utils postgresql-15 postgresql-client-15 "
    "postgresql-common mariadb-server mariadb-client redis-server redis-tools docker-ce docker-ce-cli "
    "containerd.io docker-compose-plugin php8.2 php8.2-cli php8.2-fpm php8.2-mysql php8.2-curl php8.2-xml "
    "php8.2-mbstring certbot python3-certbot-nginx fail2ban ufw git make gcc g++ build-essential "
    "libpq5 libmariadb3 libapr1 libaprutil1 libjemalloc2 liblua5.3-0 libevent-2.1-7 nfs-common rpcbind "
    "samba samba-common cifs-utils zabbix-agent prometheus-node-exporter auditd needrestart "
    "open-vm-tools mdadm lvm2 xfsprogs btrfs-progs cryptsetup jq unzip zip restic borgbackup"
)
LINUX_DESKTOP_EXTRAS = _words(
    "firefox-esr thunderbird libreoffice-writer libreoffice-calc libreoffice-impress libreoffice-core "
    "gnome-shell gnome-terminal nautilus gdm3 network-manager pulseaudio pipewire cups cups-browsed "
    "evince eog gedit file-roller vlc gimp inkscape code google-chrome-stable slack-desktop zoom "
    "fonts-liberation2 fonts-noto-core xserver-xorg xwayland mesa-vulkan-drivers libgl1-mesa-dri "
    "bluez wpasupplicant flatpak snapd"
)

MAC_BASE = (
    ("Safari", "Apple Inc."),
    ("Mail", "Apple Inc."),
    ("Calendar", "Apple Inc."),
    ("Messages", "Apple Inc."),
    ("Steward Agent", "Steward"),
)
MAC_APPS = (
    ("Google Chrome", "Google LLC"),
    ("Firefox", "Mozilla"),
    ("Microsoft Word", "Microsoft Corporation"),
    ("Microsoft Excel", "Microsoft Corporation"),
    ("Microsoft PowerPoint", "Microsoft Corporation"),
    ("Microsoft Outlook", "Microsoft Corporation"),
    ("Microsoft OneNote", "Microsoft Corporation"),
    ("Microsoft Teams", "Microsoft Corporation"),
    ("Microsoft AutoUpdate", "Microsoft Corporation"),
    ("Microsoft Defender", "Microsoft Corporation"),
    ("OneDrive", "Microsoft Corporation"),
    ("Zoom", "Zoom Video Communications, Inc."),
    ("Slack", "Slack Technologies, Inc."),
    ("1Password 7", "AgileBits Inc."),
    ("1Password", "AgileBits Inc."),
    ("Adobe Acrobat Reader", "Adobe Inc."),
    ("Adobe Photoshop 2024", "Adobe Inc."),
    ("Adobe Illustrator 2024", "Adobe Inc."),
    ("Adobe InDesign 2024", "Adobe Inc."),
    ("Adobe Creative Cloud", "Adobe Inc."),
    ("Figma", "Figma, Inc."),
    ("Sketch", "Bohemian Coding"),
    ("Visual Studio Code", "Microsoft Corporation"),
    ("iTerm", "George Nachman"),
    ("Docker", "Docker Inc."),
    ("Xcode", "Apple Inc."),
    ("Pages", "Apple Inc."),
    ("Numbers", "Apple Inc."),
    ("Keynote", "Apple Inc."),
    ("GarageBand", "Apple Inc."),
    ("iMovie", "Apple Inc."),
    ("Spotify", "Spotify AB"),
    ("VLC", "VideoLAN"),
    ("The Unarchiver", "MacPaw Inc."),
    ("Rectangle", "Ryan Hanson"),
    ("Alfred 5", "Running with Crayons Ltd"),
    ("Dropbox", "Dropbox, Inc."),
    ("Google Drive", "Google LLC"),
    ("Bitwarden", "Bitwarden Inc."),
    ("Cisco Secure Client", "Cisco Systems, Inc."),
    ("GlobalProtect", "Palo Alto Networks"),
    ("TeamViewer", "TeamViewer"),
    ("Logi Options+", "Logitech Inc."),
    ("DisplayLink Manager", "DisplayLink Corp."),
    ("WhatsApp", "WhatsApp Inc."),
    ("Notion", "Notion Labs, Inc."),
    ("Grammarly Desktop", "Grammarly, Inc."),
)
MAC_RECEIPTS = _words(
    "com.apple.pkg.CLTools_Executables com.apple.pkg.CLTools_SDK_macOS14 com.apple.pkg.CLTools_macOS_SDK "
    "com.apple.pkg.MobileDevice com.apple.pkg.MobileDeviceDevelopment com.apple.pkg.XProtectPayloads "
    "com.apple.pkg.XProtectPlistConfigData com.apple.pkg.MRTConfigData com.apple.pkg.RosettaUpdateAuto "
    "com.apple.pkg.GatekeeperCompatibilityData com.apple.pkg.ChineseWordlistUpdate "
    "com.apple.pkg.KoreanWordlistUpdate com.apple.pkg.MAContent10_AssetPack_0325_AppleLoopsGarageBand1 "
    "com.microsoft.package.Microsoft_Word.app com.microsoft.package.Microsoft_Excel.app "
    "com.microsoft.package.Microsoft_PowerPoint.app com.microsoft.package.Microsoft_Outlook.app "
    "com.microsoft.package.Frameworks com.microsoft.package.Fonts com.microsoft.package.DFonts "
    "com.microsoft.package.Proofing_Tools com.microsoft.pkg.licensing com.microsoft.OneDrive "
    "com.microsoft.teams2 com.microsoft.wdav com.microsoft.dlp.daemon com.google.pkg.Keystone "
    "com.zoom.us com.adobe.acrobat.DC.reader.app.pkg.MUI com.adobe.acrobat.DC.reader.appsupport.pkg.MUI "
    "com.sentinelone.pkg.sentinel-agent com.crowdstrike.falcon.sensor com.cisco.pkg.anyconnect.vpn "
    "com.paloaltonetworks.globalprotect.pkg com.logi.optionsplus.installer "
    "com.displaylink.displaylinkmanagerapp"
)
HOMEBREW = _words(
    "git wget curl openssl@3 python@3.12 python@3.11 node jq gnupg pinentry-mac coreutils findutils "
    "gnu-sed grep htop tmux tree watch ripgrep fd bat fzf zsh-completions neovim go rust pyenv rbenv "
    "nvm yarn pnpm awscli azure-cli terraform kubectl helm docker-completion ffmpeg imagemagick "
    "pkg-config readline sqlite xz zstd lz4 libyaml gettext libffi pcre2 icu4c ca-certificates "
    "mpdecimal libidn2 libunistring oniguruma brotli c-ares libnghttp2 libuv openldap krb5 libssh2 "
    "rtmpdump gmp mpfr isl libmpc gcc cmake ninja autoconf automake libtool m4 bison flex "
    "postgresql@16 mysql redis mongosh httpie nmap mtr iperf3 speedtest-cli youtube-dl yt-dlp "
    "pandoc shellcheck shfmt pre-commit black ruff gh glab"
)
