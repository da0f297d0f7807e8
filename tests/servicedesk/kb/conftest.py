"""Knowledge-base fixtures: articles of every kind for the shared two-client world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from steward.core.scoping import Scope
from steward.servicedesk.models import Article, Ticket
from steward.servicedesk.services import kb, tickets
from tests.api.conftest import _fast_password_hashing, api_as, make_token, session_as  # noqa: F401
from tests.e2e.conftest import browser, screenshot_on_failure  # noqa: F401  (test_browser.py)


@dataclass
class Library:
    global_public: Article
    global_internal: Article
    a_public: Article
    a_internal: Article
    b_public: Article
    b_internal: Article

    def all(self) -> list[Article]:
        return [
            self.global_public,
            self.global_internal,
            self.a_public,
            self.a_internal,
            self.b_public,
            self.b_internal,
        ]


def admin_scope(world: Any) -> Scope:
    return Scope.for_user(world.users["provider_admin"])


def scope_of(world: Any, key: str) -> Scope:
    return Scope.for_user(world.users[key])


def write(world: Any, title: str, body: str, visibility: str, client: Any = None) -> Article:
    return kb.create_article(
        admin_scope(world),
        {"title": title, "body": body, "visibility": visibility, "client_id": client.pk if client else None},
    )


@pytest.fixture
def library(world: Any) -> Library:
    return Library(
        global_public=write(world, "Reset your MFA", "Use the authenticator app.", "public"),
        global_internal=write(world, "Escalation rota", "Who is on call this week.", "internal"),
        a_public=write(
            world, "Alpha printer guide", "The Alpha copier prints in colour.", "public", world.client_a
        ),
        a_internal=write(
            world, "Alpha firewall notes", "Alpha admin console details.", "internal", world.client_a
        ),
        b_public=write(
            world, "Bravo printer guide", "The Bravo copier prints in mono.", "public", world.client_b
        ),
        b_internal=write(
            world, "Bravo firewall notes", "Bravo admin console details.", "internal", world.client_b
        ),
    )


@pytest.fixture
def api_for(world: Any, request: pytest.FixtureRequest) -> Any:
    """An API client for a role: a token where the role may have one, else a session."""

    def _api(role: str) -> Any:
        kind = "api_as" if scope_of(world, role).can("tokens.use") else "session_as"
        return request.getfixturevalue(kind)(role)

    return _api


def open_ticket_for(world: Any, client: Any, subject: str = "Printer jammed", user: str = "") -> Ticket:
    scope = scope_of(world, user) if user else Scope.system(world.provider.pk)
    return tickets.open_ticket(scope, subject=subject, body="Please help.", client_id=client.pk)
