"""Shared fixtures: a provider with two clients (A and B) and a user of every role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient

from steward.core.models import Client, Contact, Provider, Site, User
from steward.core.roles import Role

PASSWORD = "correct-horse-battery-9"


@dataclass
class World:
    provider: Provider
    client_a: Client
    client_b: Client
    site_a: Site
    site_b: Site
    contact_a: Contact
    contact_b: Contact
    users: dict[str, User]  # "provider_admin", "technician_all", "technician_a", "client_admin_a", … "_b"


def make_user(
    provider: Provider, email: str, role: str, client: Client | None = None, **extra: object
) -> User:
    return User.unscoped.create_user(
        email,
        PASSWORD,
        full_name=email.split("@")[0].replace(".", " ").title(),
        provider=provider,
        client=client,
        role=role,
        **extra,
    )


@pytest.fixture
def world(db: None) -> World:
    provider = Provider.objects.create(name="Northwind IT", slug="northwind")
    client_a = Client.unscoped.create(
        provider=provider, name="Alpha Dental", short_code="ALPHA", status="active"
    )
    client_b = Client.unscoped.create(
        provider=provider, name="Bravo Logistics", short_code="BRAVO", status="active"
    )
    site_a = Site.unscoped.create(client=client_a, name="Alpha Main Surgery", time_zone="Europe/London")
    site_b = Site.unscoped.create(client=client_b, name="Bravo Secret Depot", time_zone="America/Chicago")
    contact_a = Contact.unscoped.create(client=client_a, full_name="Alice Alpha", email="alice@alpha.example")
    contact_b = Contact.unscoped.create(client=client_b, full_name="Boris Bravo", email="boris@bravo.example")
    users = {
        "provider_admin": make_user(provider, "admin@northwind.example", Role.PROVIDER_ADMIN),
        "technician_all": make_user(
            provider, "tech.all@northwind.example", Role.TECHNICIAN, all_clients=True
        ),
        "technician_a": make_user(provider, "tech.a@northwind.example", Role.TECHNICIAN),
    }
    users["technician_a"].granted_clients.add(client_a)
    for suffix, client in (("a", client_a), ("b", client_b)):
        for role in (Role.CLIENT_ADMIN, Role.CLIENT_IT, Role.END_USER):
            users[f"{role}_{suffix}"] = make_user(
                provider, f"{role.replace('_', '.')}@{suffix}.example", role, client
            )
    return World(provider, client_a, client_b, site_a, site_b, contact_a, contact_b, users)


@pytest.fixture
def login_as(client: HttpClient) -> Callable[[User], HttpClient]:
    """Log an HTTP test client in as a user, bypassing the sign-in form (tested separately)."""

    def _login(user: User) -> HttpClient:
        client.force_login(user, backend="steward.core.auth.EmailBackend")
        return client

    return _login


@pytest.fixture(scope="session", autouse=True)
def _close_stray_postgresql_sessions(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Live-server threads can leave a connection open; end them so the test database drops."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
