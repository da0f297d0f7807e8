"""The demo articles: realistic, versioned, rendered, and seeded once."""

from __future__ import annotations

from typing import Any

import pytest

from steward.servicedesk.models import Article, ArticleVersion
from steward.servicedesk.services import kb
from tests.servicedesk.kb.conftest import scope_of

pytestmark = pytest.mark.django_db


def test_seed_demo_articles(world: Any) -> None:
    created = kb.seed_demo_articles(world.provider, [world.client_a, world.client_b])
    assert len(created) == len(kb.DEMO_ARTICLES) + 2
    titles = {a.title: a for a in created}
    assert titles["BitLocker recovery key procedure"].visibility == "internal"
    assert titles["New starter checklist"].visibility == "internal"
    assert titles["Reset your multi-factor authentication (MFA)"].visibility == "public"
    assert titles[f"{world.client_a.name}: printing to the office copier"].client_id == world.client_a.pk
    assert ArticleVersion.objects.filter(article__in=created, version=1).count() == len(created)
    for article in created:
        assert str(kb.render(article)).strip().startswith("<")
    assert kb.seed_demo_articles(world.provider, [world.client_a, world.client_b]) == []
    assert Article.objects.count() == len(created)
    seen = {a.title for a in kb.visible_articles(scope_of(world, "end_user_a"))}
    assert "BitLocker recovery key procedure" not in seen
    assert f"{world.client_b.name}: printing to the office copier" not in seen
    assert "Connect to the VPN from home" in seen
    suggested = kb.suggest(scope_of(world, "end_user_a"), "my vpn will not connect from home")
    assert suggested[0].title == "Connect to the VPN from home"
