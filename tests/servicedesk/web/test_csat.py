"""The public satisfaction page: one click records a rating; a comment can follow."""

from __future__ import annotations

from django.urls import reverse

from steward.servicedesk.models import SatisfactionSurvey
from steward.servicedesk.services import csat
from tests.tenancy.helpers import assert_csp_clean


def test_one_click_records_and_thanks(world, desk, client):
    survey, token = csat.create_survey(desk.ticket_a, "end.user@a.example")
    response = client.get(reverse("csat_answer", args=[token, "good"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_clean(html)
    assert "Thank you" in html
    assert desk.ticket_a.subject in html
    assert response["Referrer-Policy"] == "no-referrer"
    survey.refresh_from_db()
    assert survey.rating == "good" and survey.responded_at is not None

    # A later click changes the answer; a comment is saved with it.
    client.get(reverse("csat_answer", args=[token, "bad"]))
    response = client.post(reverse("csat_answer", args=[token, "bad"]), {"comment": "Took <b>three</b> days"})
    assert response.status_code == 200
    assert "Your comment was sent" in response.content.decode()
    assert "<b>three</b>" not in response.content.decode()
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == ("bad", "Took <b>three</b> days")

    response = client.post(reverse("csat_answer", args=[token, "bad"]), {"comment": "x" * 5001})
    assert response.status_code == 200
    assert response.context["form"].errors
    survey.refresh_from_db()
    assert survey.comment == "Took <b>three</b> days"


def test_unknown_token_and_bad_rating(world, desk, client):
    response = client.get(reverse("csat_answer", args=["not-a-token", "good"]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "This link does not work" in html
    assert desk.ticket_a.subject not in html
    assert client.post(reverse("csat_answer", args=["x" * 200, "good"]), {"comment": "hi"}).status_code == 404

    survey, token = csat.create_survey(desk.ticket_a, "end.user@a.example")
    response = client.get(reverse("csat_answer", args=[token, "superb"]))
    assert response.status_code == 400
    assert "How did we do?" in response.content.decode()
    assert SatisfactionSurvey.unscoped.get(pk=survey.pk).rating == ""
