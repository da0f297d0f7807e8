"""Linux collectors: /sys and /etc files, dpkg/rpm, apt/dnf, ufw/firewalld/nftables, LUKS,
systemd. Importing this package registers them."""

from steward_agent.collectors.linux import (  # noqa: F401
    admins,
    backups,
    hardware,
    os_info,
    security,
    software,
    updates,
)
