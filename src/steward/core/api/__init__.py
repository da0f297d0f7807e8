"""The core domain's REST API: tenancy (clients, sites, contacts, users), tokens, audit."""

from __future__ import annotations

from ninja import NinjaAPI

from steward.core.api import audit, clients, contacts, me, sites, tokens, users


def register(api: NinjaAPI) -> None:
    for module in (me, clients, sites, contacts, users, tokens, audit):
        api.add_router("", module.router)
