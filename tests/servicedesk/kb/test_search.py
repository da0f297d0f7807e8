"""Search (every word, title matches first) and suggestions while a ticket is written."""

from __future__ import annotations

from typing import Any

import pytest

from steward.servicedesk.services import kb
from tests.servicedesk.kb.conftest import admin_scope, scope_of, write

pytestmark = pytest.mark.django_db


def _titles(articles: Any) -> list[str]:
    return [article.title for article in articles]


@pytest.fixture
def shelf(world: Any) -> dict[str, Any]:
    return {
        "vpn_body": write(world, "Remote access", "Start the VPN client, then map the drive.", "public"),
        "vpn_title": write(world, "VPN setup", "Install the client from the portal.", "public"),
        "drive": write(
            world, "Map a network drive", "Use File Explorer; connect to the VPN first.", "public"
        ),
        "printer": write(world, "Printer troubleshooting", "Cancel stuck print jobs.", "public"),
        "internal": write(world, "VPN server rebuild", "Internal runbook for the VPN appliance.", "internal"),
        "alpha": write(world, "Alpha VPN profile", "Alpha's VPN address.", "public", world.client_a),
        "bravo": write(world, "Bravo VPN profile", "Bravo's VPN address.", "public", world.client_b),
    }


def test_search_ranks_title_matches_first(world: Any, shelf: dict[str, Any]) -> None:
    found = _titles(kb.search(admin_scope(world), "vpn"))
    assert found[:4] == ["Alpha VPN profile", "Bravo VPN profile", "VPN server rebuild", "VPN setup"]
    assert set(found[4:]) == {"Map a network drive", "Remote access"}


def test_search_needs_every_word_and_ignores_case(world: Any, shelf: dict[str, Any]) -> None:
    assert _titles(kb.search(admin_scope(world), "VPN  DRIVE")) == ["Map a network drive", "Remote access"]
    assert _titles(kb.search(admin_scope(world), "printer nothing-like-this")) == []


def test_search_with_more_title_words_ranks_higher(world: Any, shelf: dict[str, Any]) -> None:
    found = _titles(kb.search(admin_scope(world), "map drive"))
    assert found == ["Map a network drive", "Remote access"]


def test_search_treats_like_wildcards_as_text(world: Any, shelf: dict[str, Any]) -> None:
    write(world, "100% uptime", "Percent signs and under_scores.", "internal")
    assert _titles(kb.search(admin_scope(world), "100%")) == ["100% uptime"]
    assert _titles(kb.search(admin_scope(world), "under_scores")) == ["100% uptime"]
    assert _titles(kb.search(admin_scope(world), "%")) == _titles(kb.visible_articles(admin_scope(world)))


def test_client_search_sees_public_and_own_only(world: Any, shelf: dict[str, Any]) -> None:
    found = _titles(kb.search(scope_of(world, "end_user_a"), "vpn"))
    assert found[:2] == ["Alpha VPN profile", "VPN setup"]
    assert "VPN server rebuild" not in found and "Bravo VPN profile" not in found


def test_keywords_drop_stop_words_and_stem() -> None:
    words = kb.keywords("Hi team, my mapped drives are NOT working since this morning - please help! 2024")
    assert words == ["team", "map", "driv"]
    assert kb.keywords("") == []
    assert kb.keywords("please help, it is not working") == []


def test_suggest_ranks_by_matches(world: Any, shelf: dict[str, Any]) -> None:
    scope = admin_scope(world)
    suggested = _titles(kb.suggest(scope, "Cannot map network drive when working from home", None))
    assert suggested[0] == "Map a network drive"  # three title matches
    assert "Remote access" in suggested  # "map" and "drive" in the body
    assert "Printer troubleshooting" not in suggested


def test_suggest_limits_to_the_tickets_client_and_global(world: Any, shelf: dict[str, Any]) -> None:
    scope = admin_scope(world)
    for_a = _titles(kb.suggest(scope, "VPN profile", world.client_a.pk, limit=20))
    assert for_a[0] == "Alpha VPN profile"
    assert "Bravo VPN profile" not in for_a
    assert "VPN server rebuild" in for_a  # staff also get internal articles
    for_any = _titles(kb.suggest(scope, "VPN profile", None, limit=20))
    assert {"Alpha VPN profile", "Bravo VPN profile"} <= set(for_any)


def test_suggest_for_client_users_is_public_and_their_own(world: Any, shelf: dict[str, Any]) -> None:
    scope = scope_of(world, "end_user_a")
    suggested = _titles(kb.suggest(scope, "VPN profile rebuild", world.client_b.pk, limit=20))
    assert "Alpha VPN profile" in suggested
    assert "Bravo VPN profile" not in suggested
    assert "VPN server rebuild" not in suggested


def test_suggest_honours_the_limit_and_empty_text(world: Any, shelf: dict[str, Any]) -> None:
    scope = admin_scope(world)
    assert len(kb.suggest(scope, "vpn", None, limit=2)) == 2
    assert kb.suggest(scope, "   ", None) == []
    assert kb.suggest(scope, "the and of", None) == []
    assert kb.suggest(scope, "vpn", "not-a-number") != []  # an unusable client id only narrows to global
    assert all(a.client_id is None for a in kb.suggest(scope, "vpn", "not-a-number", limit=20))
