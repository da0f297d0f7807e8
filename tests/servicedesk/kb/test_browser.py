"""In a real browser (strict CSP, real htmx): the editor's live preview, the ticket box's
link buttons, and the suggestion snippet the ticket forms use."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client as HttpClient

from steward.servicedesk.models import Article
from tests.servicedesk.kb.conftest import Library, open_ticket_for

pytestmark = pytest.mark.e2e

# The snippet documented for the new-ticket forms (docs/knowledge-base.md).
SUGGEST_SNIPPET = """
<div id="kb-suggestions" aria-live="polite" hx-post="/kb/suggest/"
     hx-trigger="keyup changed delay:300ms from:#id_subject, keyup changed delay:300ms from:#id_body"
     hx-include="#id_subject, #id_body, #id_client" hx-swap="innerHTML"></div>
"""


def _page_as(browser: Any, live_server: Any, user: Any, pages: list[Any]) -> tuple[Any, list[str]]:
    http = HttpClient()
    http.force_login(user, backend="steward.core.auth.EmailBackend")
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": http.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    pages.append(page)
    return page, problems


def test_editor_preview_and_save(
    live_server: Any, world: Any, browser: Any, screenshot_on_failure: list[Any]
) -> None:
    page, problems = _page_as(browser, live_server, world.users["technician_a"], screenshot_on_failure)
    page.goto(f"{live_server.url}/kb/new/")
    page.get_by_label("Title").fill("Reset a printer")
    page.get_by_label("Client").select_option(str(world.client_a.pk))
    page.get_by_label("Body").press_sequentially("**Hold** the <b>reset</b> button")
    page.locator("#kb-preview strong").wait_for()
    assert page.locator("#kb-preview strong").inner_text() == "Hold"
    assert "<b>reset</b>" in page.locator("#kb-preview").inner_text()
    page.get_by_role("button", name="Save article").click()
    page.wait_for_url(f"{live_server.url}/kb/*/")
    article = Article.objects.get(title="Reset a printer")
    assert (article.client_id, article.version) == (world.client_a.pk, 1)
    assert page.locator("article.kb-article strong").inner_text() == "Hold"
    assert problems == []


def test_ticket_box_links_with_htmx(
    live_server: Any, world: Any, library: Library, browser: Any, screenshot_on_failure: list[Any]
) -> None:
    ticket = open_ticket_for(world, world.client_a, subject="Alpha copier prints nothing")
    page, problems = _page_as(browser, live_server, world.users["technician_a"], screenshot_on_failure)
    # A stand-in for the ticket page: any full page, plus the hook the ticket page includes.
    hook = render_to_string("servicedesk/kb/_ticket_suggestions.html", {"ticket": ticket})
    page.goto(f"{live_server.url}/kb/")
    page.evaluate(
        """hook => {
            const box = document.createElement("div");
            box.innerHTML = hook;
            document.querySelector("main").appendChild(box);
            htmx.process(box);
        }""",
        hook,
    )
    page.get_by_role("button", name="Link Alpha printer guide", exact=True).click()
    page.get_by_role("button", name="Unlink Alpha printer guide", exact=True).wait_for()
    assert list(library.a_public.tickets.all()) == [ticket]
    page.get_by_role("button", name="Unlink Alpha printer guide", exact=True).click()
    page.get_by_role("button", name="Link Alpha printer guide", exact=True).wait_for()
    assert not library.a_public.tickets.exists()
    assert problems == []


def test_suggestion_snippet_for_the_ticket_forms(
    live_server: Any, world: Any, library: Library, browser: Any, screenshot_on_failure: list[Any]
) -> None:
    page, problems = _page_as(browser, live_server, world.users["end_user_a"], screenshot_on_failure)
    page.goto(f"{live_server.url}/portal/kb/")
    # A stand-in for the new-ticket form: the same field ids, plus the documented snippet.
    page.evaluate(
        """snippet => {
            const form = document.createElement("form");
            form.innerHTML = '<input id="id_subject" name="subject">'
                + '<textarea id="id_body" name="body"></textarea>' + snippet;
            document.querySelector("main").appendChild(form);
            htmx.process(form);
        }""",
        SUGGEST_SNIPPET,
    )
    page.locator("#id_subject").press_sequentially("copier")
    page.locator("#kb-suggestions a").first.wait_for()
    text = page.locator("#kb-suggestions").inner_text()
    assert "Alpha printer guide" in text
    assert "Bravo" not in text and "firewall" not in text
    assert problems == []
