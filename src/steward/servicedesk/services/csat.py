"""Satisfaction surveys: one question when a ticket is resolved, answered with one click.

The link in the resolution mail carries a random token (stored hashed) and the rating;
opening it records the rating and offers a comment box. A later click changes the answer, so
a mail scanner that follows every link cannot lock in a wrong one: the last human click wins.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from steward.core.scoping import Scope
from steward.servicedesk.models import SatisfactionSurvey, Ticket


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_survey(ticket: Ticket, sent_to: str) -> tuple[SatisfactionSurvey, str]:
    token = secrets.token_urlsafe(24)
    survey = SatisfactionSurvey.unscoped.create(ticket=ticket, token_hash=_hash(token), sent_to=sent_to[:254])
    return survey, token


def find_survey(token: str) -> SatisfactionSurvey | None:
    if not token or len(token) > 100:
        return None
    return (
        SatisfactionSurvey.unscoped.select_related("ticket", "ticket__client")
        .filter(token_hash=_hash(token))
        .first()
    )


def answer(survey: SatisfactionSurvey, rating: Any, comment: Any = None) -> SatisfactionSurvey:
    if rating not in SatisfactionSurvey.Rating.values:
        raise ValidationError({"rating": "Choose good, okay or bad."})
    survey.rating = rating
    if comment is not None:
        text = str(comment).replace("\x00", "").strip()
        if len(text) > 5000:
            raise ValidationError({"comment": "At most 5,000 characters."})
        survey.comment = text
    survey.responded_at = timezone.now()
    survey.save()
    return survey


def summary(scope: Scope) -> dict[str, Any]:
    rows = (
        SatisfactionSurvey.objects.for_scope(scope)
        .exclude(rating="")
        .values("rating")
        .annotate(count=Count("id"))
    )
    counts = {row["rating"]: row["count"] for row in rows}
    answered = sum(counts.values())
    good = counts.get("good", 0)
    return {
        "answered": answered,
        "counts": counts,
        "score": round(100 * good / answered) if answered else None,
    }
