"""The role-dependent navigation. Modules add their entries with :func:`register`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Audience = Literal["provider", "client", "all"]


@dataclass(frozen=True)
class NavItem:
    section: str
    label: str
    url_name: str
    permission: str
    audience: Audience = "all"
    order: int = 100
    icon: str = ""


NAV: list[NavItem] = []


def register(item: NavItem) -> None:
    if any(existing.url_name == item.url_name and existing.audience == item.audience for existing in NAV):
        return
    NAV.append(item)
    NAV.sort(key=lambda entry: (entry.order, entry.label))


for _item in [
    NavItem("Overview", "Dashboard", "dashboard", "clients.view", "provider", 10, "home"),
    NavItem("Overview", "Home", "portal_home", "portal.access", "client", 10, "home"),
    NavItem("Directory", "Clients", "client_list", "clients.view", "provider", 20, "building"),
    NavItem("Directory", "Sites", "site_list", "sites.view", "all", 30, "map-pin"),
    NavItem("Directory", "Contacts", "contact_list", "contacts.view", "all", 40, "users"),
    NavItem("Administration", "Users", "user_list", "users.view", "all", 80, "user-cog"),
    NavItem("Administration", "Audit trail", "audit_list", "audit.view", "all", 90, "scroll"),
]:
    register(_item)
