"""Local administrators: root-equivalent accounts and members of sudo/wheel/admin."""

from __future__ import annotations

import grp
import pwd

from steward_agent.collectors.base import Context, clip, register

ADMIN_GROUPS = ("sudo", "wheel", "admin")


def local_admins(groups: tuple[str, ...] = ADMIN_GROUPS) -> list[str]:
    names: set[str] = set()
    gids: set[int] = set()
    for group in groups:
        try:
            entry = grp.getgrnam(group)
        except KeyError:
            continue
        gids.add(entry.gr_gid)
        names.update(entry.gr_mem)
    for user in pwd.getpwall():
        if user.pw_uid == 0 or user.pw_gid in gids:
            names.add(user.pw_name)
    return sorted(clip(n, 128) for n in names if n)[:256]


@register("local_admins", "linux")
def collect_admins(ctx: Context) -> list[str]:
    return local_admins()
