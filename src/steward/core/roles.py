"""Roles and the permissions they grant.

Permissions are plain strings ``"<area>.<verb>"``. Each module registers its own with
:func:`register_permissions`, naming which roles get them; a role holds nothing it was not
explicitly granted (deny by default).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models


class Role(models.TextChoices):
    PROVIDER_ADMIN = "provider_admin", "Provider admin"
    TECHNICIAN = "technician", "Technician"
    CLIENT_ADMIN = "client_admin", "Client admin"
    CLIENT_IT = "client_it", "Client IT"
    END_USER = "end_user", "End user"


PROVIDER_ROLES = frozenset({Role.PROVIDER_ADMIN, Role.TECHNICIAN})
CLIENT_ROLES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_IT, Role.END_USER})

# Which roles a holder of a role may hand out (to users they manage, or to their own API
# tokens). Nobody can hand out more than they hold.
ASSIGNABLE_ROLES: dict[str, tuple[str, ...]] = {
    Role.PROVIDER_ADMIN: tuple(Role.values),
    Role.TECHNICIAN: (Role.TECHNICIAN,),
    Role.CLIENT_ADMIN: (Role.CLIENT_ADMIN, Role.CLIENT_IT, Role.END_USER),
    Role.CLIENT_IT: (Role.CLIENT_IT, Role.END_USER),
    Role.END_USER: (Role.END_USER,),
}

PERMISSION_DESCRIPTIONS: dict[str, str] = {}
ROLE_PERMISSIONS: dict[str, set[str]] = {role: set() for role in Role.values}


def register_permissions(descriptions: dict[str, str], grants: dict[str, Iterable[str]]) -> None:
    """Declare a module's permissions and which roles hold them."""
    PERMISSION_DESCRIPTIONS.update(descriptions)
    for role, perms in grants.items():
        if role not in ROLE_PERMISSIONS:
            raise ValueError(f"unknown role {role!r}")
        for perm in perms:
            if perm not in PERMISSION_DESCRIPTIONS:
                raise ValueError(f"permission {perm!r} granted to {role} but never declared")
            ROLE_PERMISSIONS[role].add(perm)


def permissions_for(role: str) -> frozenset[str]:
    return frozenset(ROLE_PERMISSIONS.get(role, ()))


def can_assign(actor_role: str, role: str) -> bool:
    return role in ASSIGNABLE_ROLES.get(actor_role, ())


register_permissions(
    {
        "clients.view": "See clients",
        "clients.add": "Create clients",
        "clients.change": "Edit clients",
        "clients.delete": "Delete clients",
        "sites.view": "See sites",
        "sites.add": "Create sites",
        "sites.change": "Edit sites",
        "sites.delete": "Delete sites",
        "contacts.view": "See contacts",
        "contacts.add": "Create contacts",
        "contacts.change": "Edit contacts",
        "contacts.delete": "Delete contacts",
        "users.view": "See user accounts",
        "users.manage": "Create and edit user accounts and their roles",
        "audit.view": "Read the audit trail",
        "tokens.use": "Create personal API tokens",
        "portal.access": "Use the client portal",
        "provider.manage": "Change the provider's own settings",
    },
    {
        Role.PROVIDER_ADMIN: [
            "clients.view",
            "clients.add",
            "clients.change",
            "clients.delete",
            "sites.view",
            "sites.add",
            "sites.change",
            "sites.delete",
            "contacts.view",
            "contacts.add",
            "contacts.change",
            "contacts.delete",
            "users.view",
            "users.manage",
            "audit.view",
            "tokens.use",
            "provider.manage",
        ],
        Role.TECHNICIAN: [
            "clients.view",
            "clients.change",
            "sites.view",
            "sites.add",
            "sites.change",
            "sites.delete",
            "contacts.view",
            "contacts.add",
            "contacts.change",
            "contacts.delete",
            "users.view",
            "audit.view",
            "tokens.use",
        ],
        Role.CLIENT_ADMIN: [
            "clients.view",
            "sites.view",
            "sites.add",
            "sites.change",
            "contacts.view",
            "contacts.add",
            "contacts.change",
            "contacts.delete",
            "users.view",
            "users.manage",
            "audit.view",
            "tokens.use",
            "portal.access",
        ],
        Role.CLIENT_IT: [
            "clients.view",
            "sites.view",
            "sites.add",
            "sites.change",
            "contacts.view",
            "contacts.add",
            "contacts.change",
            "users.view",
            "tokens.use",
            "portal.access",
        ],
        Role.END_USER: ["clients.view", "portal.access"],
    },
)
