"""Permissions and navigation entries of the devices module."""

from steward.core.roles import Role, register_permissions
from steward.web.navigation import NavItem, register

register_permissions(
    {
        "devices.view": "See devices, their inventory, history and metrics",
        "devices.change": "Edit devices: site, tags, groups, notes; watch live",
        "devices.quarantine": "Quarantine a device (revoke its agent credential) and release it",
        "devices.enroll": "Create and revoke agent enrollment tokens",
        "devices.delete": "Remove a device record",
    },
    {
        Role.PROVIDER_ADMIN: [
            "devices.view",
            "devices.change",
            "devices.quarantine",
            "devices.enroll",
            "devices.delete",
        ],
        Role.TECHNICIAN: ["devices.view", "devices.change", "devices.quarantine", "devices.enroll"],
        Role.CLIENT_ADMIN: ["devices.view"],
        Role.CLIENT_IT: ["devices.view", "devices.change", "devices.enroll"],
    },
)

register(NavItem("Fleet", "Devices", "device_list", "devices.view", "all", 50, "monitor"))
register(NavItem("Fleet", "Device groups", "device_group_list", "devices.view", "all", 55, "layers"))
register(NavItem("Fleet", "Enrollment", "enrollment_token_list", "devices.enroll", "all", 60, "key"))
