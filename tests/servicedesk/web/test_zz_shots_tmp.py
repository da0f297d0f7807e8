import os
import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from tests.servicedesk.web.conftest import *  # noqa
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
from tests.e2e.conftest import browser  # noqa

def cookie_for(user, base):
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = "steward.core.auth.EmailBackend"; s[HASH_SESSION_KEY] = user.get_session_auth_hash(); s.save()
    return {"name": "sessionid", "value": s.session_key, "url": base}

@pytest.mark.django_db(transaction=True)
def test_shots(live_server, world, desk, browser):
    base = live_server.url
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    from tests.e2e.test_browser import sign_in
    sign_in(page, base, world.users["technician_all"].email); page.wait_for_url("**/dashboard/")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for name, url in [("list", "/tickets/"), ("create", "/tickets/new/"), ("detail", f"/tickets/{desk.ticket_a.pk}/"), ("dash", "/dashboard/")]:
        page.goto(base + url); page.screenshot(path=f"/tmp/shot-{name}.png", full_page=True)
    page.goto(base + f"/tickets/{desk.ticket_a.pk}/")
    page.get_by_role("link", name="Edit fields").click(); page.wait_for_selector("#ticket-edit-panel form")
    page.screenshot(path="/tmp/shot-detail-edit.png", full_page=True)
    page.locator("#ticket-edit-panel select[name=assignee]").select_option(label=f"{world.users['technician_all'].full_name} ({world.users['technician_all'].email})")
    page.locator("#ticket-edit-panel button[type=submit]").click()
    page.wait_for_selector("#ticket-flash .alert")
    page.screenshot(path="/tmp/shot-detail-after-edit.png", full_page=True)
    ctx2 = browser.new_context(viewport={"width": 1300, "height": 900})
    p2 = ctx2.new_page()
    sign_in(p2, base, world.users["end_user_a"].email); p2.wait_for_url("**/portal/")
    for name, url in [("plist", "/tickets/"), ("pcreate", "/tickets/new/"), ("pdetail", f"/tickets/{desk.ticket_a.pk}/")]:
        p2.goto(base + url); p2.screenshot(path=f"/tmp/shot-{name}.png", full_page=True)
    print("CONSOLE", errors)
