"""End to end in a real browser: a technician opens a ticket and replies, the end user reads
the reply in the portal (never the internal note) and answers; the keyboard works."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.servicedesk.models import Reply, Ticket
from tests.e2e.test_browser import sign_in

SUBJECT = "Scanner on reception sends blank pages"
REPLY = "Please try the left tray and tell me if the pages still come out blank."
NOTE = "Internal: the scanner lease ends in March"
ANSWER = "The left tray works, thank you!"


def _csp_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


@pytest.mark.e2e
def test_technician_replies_end_user_answers(
    live_server: Any, world: Any, browser: Any, screenshot_on_failure: list[Any]
) -> None:
    base = live_server.url
    technician = world.users["technician_all"]
    end_user = world.users["end_user_a"]

    staff_context = browser.new_context()
    page = staff_context.new_page()
    screenshot_on_failure.append(page)
    staff_errors = _csp_errors(page)
    sign_in(page, base, technician.email)
    page.wait_for_url(re.compile(r"/dashboard/$"))

    # Open a ticket for the end user; choosing the client loads its people (htmx).
    page.goto(f"{base}/tickets/new/")
    page.locator("select[name=client]").select_option(label=world.client_a.name)
    requester = page.locator("select[name=requester]")
    requester.locator(f"option[value='user:{end_user.pk}']").wait_for(state="attached")
    requester.select_option(f"user:{end_user.pk}")
    page.locator("input[name=subject]").fill(SUBJECT)
    page.locator("textarea[name=body]").fill("Reception called: every scan is blank.")
    page.locator("select[name=impact]").select_option("high")
    page.locator("select[name=urgency]").select_option("high")
    assert "P1 critical" in page.locator("[data-priority-preview]").inner_text()
    page.get_by_role("button", name="Open ticket").click()
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.unscoped.get(subject=SUBJECT)
    assert ticket.requester_user_id == end_user.pk
    assert ticket.priority == "p1"

    # "r" jumps to the reply box; Ctrl+Enter sends; the page updates in place (htmx).
    page.keyboard.press("r")
    box = page.locator("textarea[name=body]")
    assert box.evaluate("node => node === document.activeElement")
    box.fill(REPLY)
    box.press("Control+Enter")
    page.locator("#ticket-flash").get_by_text("Reply sent.").wait_for()
    page.locator("#ticket-conversation").get_by_text(REPLY).wait_for()
    assert page.locator("textarea[name=body]").input_value() == ""

    # An internal note, through the toggle.
    page.locator("label.seg-internal").click()
    assert page.get_by_role("button", name="Add internal note").is_visible()
    page.locator("textarea[name=body]").fill(NOTE)
    page.get_by_role("button", name="Add internal note").click()
    page.locator("#ticket-flash").get_by_text("Internal note added.").wait_for()
    page.locator("#ticket-conversation .message-internal").get_by_text(NOTE).wait_for()
    assert Reply.unscoped.filter(ticket=ticket, visibility="internal", body_text=NOTE).exists()

    # The end user sees the reply in the portal, not the note, and answers.
    user_context = browser.new_context()
    portal = user_context.new_page()
    screenshot_on_failure.append(portal)
    portal_errors = _csp_errors(portal)
    sign_in(portal, base, end_user.email)
    portal.wait_for_url(re.compile(r"/portal/$"))
    portal.get_by_role("link", name="Tickets").first.click()
    portal.wait_for_url(re.compile(r"/tickets/$"))
    portal.get_by_role("link", name=SUBJECT).click()
    portal.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    html = portal.content()
    assert REPLY in html
    assert NOTE not in html
    assert "Internal note" not in html
    portal.locator("textarea[name=body]").fill(ANSWER)
    portal.get_by_role("button", name="Send reply").click()
    portal.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/#ticket-reply$"))
    assert ANSWER in portal.content()

    # The technician sees the answer.
    page.reload()
    page.locator("#ticket-conversation .message-customer").get_by_text(ANSWER).wait_for()

    # "/" focuses the list's search box; typing filters the list in place.
    page.goto(f"{base}/tickets/")
    page.keyboard.press("/")
    search = page.locator("#list-q")
    assert search.evaluate("node => node === document.activeElement")
    page.keyboard.type("scanner")
    page.wait_for_url(re.compile(r"[?&]q=scanner"))
    rows = page.locator("#list-results tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert SUBJECT in rows.first.inner_text()

    assert not [e for e in staff_errors + portal_errors if "Content Security Policy" in e]
    staff_context.close()
    user_context.close()
