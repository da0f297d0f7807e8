"""Helpers for the directory-page tests: bulk rows and HTML checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from steward.core.models import Client, Contact, Provider, Site


@pytest.fixture
def bulk_rows() -> Callable[[Provider, int], list[Client]]:
    """Create ``n`` clients, each with one site and one contact (no audit entries)."""

    def _make(provider: Provider, n: int, prefix: str = "Bulk") -> list[Client]:
        clients = Client.unscoped.bulk_create(
            Client(
                provider=provider,
                name=f"{prefix} Client {i:04d}",
                short_code=f"{prefix[:3].upper()}{i:04d}",
                status="active" if i % 2 else "onboarding",
                email_domain=f"c{i}.example",
            )
            for i in range(n)
        )
        sites = Site.unscoped.bulk_create(
            Site(
                client=client,
                name=f"{client.name} HQ",
                city="Leeds",
                country="GB",
                time_zone="Europe/London" if i % 2 else "Asia/Tokyo",
            )
            for i, client in enumerate(clients)
        )
        Contact.unscoped.bulk_create(
            Contact(client=client, site=site, full_name=f"Person {i:04d}", email=f"p{i}@c{i}.example")
            for i, (client, site) in enumerate(zip(clients, sites, strict=True))
        )
        return clients

    return _make
