"""Article suggestions are wired into both ticket forms (staff and portal)."""

import pytest
from django.urls import reverse

from steward.servicedesk.models import Article

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("user", ["technician_all", "end_user_a"])
def test_ticket_forms_ask_for_suggestions_from_their_own_fields(world, login_as, user):
    http = login_as(world.users[user])
    page = http.get(reverse("ticket_create")).content.decode()
    assert 'id="kb-suggestions"' in page and reverse("kb_suggest") in page
    assert 'id="id_subject"' in page and 'id="id_body"' in page


def test_end_user_gets_public_suggestions_only(world, login_as):
    Article.objects.create(
        provider=world.provider,
        title="Reset your VPN password",
        body="Open the VPN app…",
        visibility="public",
    )
    Article.objects.create(
        provider=world.provider,
        title="VPN concentrator runbook",
        body="Internal VPN steps",
        visibility="internal",
    )
    http = login_as(world.users["end_user_a"])
    html = http.post(reverse("kb_suggest"), {"subject": "VPN password expired", "body": ""}).content.decode()
    assert "Reset your VPN password" in html and "runbook" not in html
