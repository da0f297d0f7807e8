"""The public satisfaction-survey page: one click from the resolution mail records a rating.

Opening the link records the rating (a later click changes it: the last human click wins)
and offers an optional comment, posted to the same address. An unknown token answers a
friendly 404 page that says nothing about any ticket.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from steward.servicedesk.forms import CsatCommentForm
from steward.servicedesk.models import SatisfactionSurvey
from steward.servicedesk.services import csat

RATING_WORDS: dict[str, str] = {
    SatisfactionSurvey.Rating.GOOD.value: "Good",
    SatisfactionSurvey.Rating.OKAY.value: "Okay",
    SatisfactionSurvey.Rating.BAD.value: "Bad",
}


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to linked sites
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def csat_answer(request: HttpRequest, token: str, rating: str) -> HttpResponse:
    survey = csat.find_survey(token)
    if survey is None:
        return _private(
            render(request, "servicedesk/csat/not_found.html", {"page_title": "Link not valid"}, status=404)
        )
    context = {
        "page_title": "Thank you",
        "survey": survey,
        "ticket": survey.ticket,
        "token": token,
        "ratings": list(RATING_WORDS.items()),
    }
    if rating not in RATING_WORDS:
        context.update({"page_title": "How did we do?", "choose": True})
        return _private(render(request, "servicedesk/csat/answer.html", context, status=400))
    form = CsatCommentForm(
        request.POST if request.method == "POST" else None, initial={"comment": survey.comment}
    )
    saved_comment = False
    if request.method == "POST":
        if form.is_valid():
            try:
                csat.answer(survey, rating, form.cleaned_data["comment"])
            except ValidationError as exc:
                form.add_error("comment", exc.messages)
            else:
                saved_comment = True
    else:
        csat.answer(survey, rating)
    context.update(
        {"rating": rating, "rating_word": RATING_WORDS[rating], "form": form, "saved_comment": saved_comment}
    )
    return _private(render(request, "servicedesk/csat/answer.html", context))
