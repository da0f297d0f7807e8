"""Password reset by e-mail through a real SMTP server, and password change."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from steward.core.models import AuditEntry, User
from tests.accounts.conftest import MailSink
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-Passphrase-42"


def audit_count(action: str, user: User) -> int:
    return AuditEntry.unscoped.filter(action=action, object_id=str(user.pk)).count()


def test_password_reset_end_to_end_over_smtp(client: HttpClient, world: Any, smtp_server: MailSink) -> None:
    user = world.users["client_admin_a"]
    User.unscoped.filter(pk=user.pk).update(
        locked_until=timezone.now() + dt.timedelta(minutes=10), failed_login_count=3
    )
    page = client.get("/password-reset/").content.decode()
    assert re.search(r'<input[^>]*name="email"[^>]*autocomplete="email"', page)
    response = client.post("/password-reset/", {"email": user.email.upper()})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")

    [message] = smtp_server.messages
    assert message["To"] == user.email
    assert message["Subject"] == "Reset your Steward password"
    body = message.get_payload(decode=True).decode()
    assert "Hello Client Admin" in body
    match = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", body)
    assert match, body
    link = match.group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    html = form_page.content.decode()
    assert "Choose a new password" in html
    assert "at least 12 characters" in html  # the password policy is shown
    assert re.search(r'<input[^>]*name="new_password1"[^>]*autocomplete="new-password"', html)
    set_password_url = form_page.redirect_chain[-1][0]

    weak = client.post(set_password_url, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200
    assert 'class="errorlist"' in weak.content.decode()

    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    assert client.get(done["Location"]).status_code == 200
    user = User.unscoped.get(pk=user.pk)
    assert user.locked_until is None
    assert user.failed_login_count == 0
    assert audit_count("password_reset", user) == 1

    # The link is single-use.
    assert "This link does not work" in client.get(link, follow=True).content.decode()
    # Signing in with the new password works; the old one does not.
    other = HttpClient()
    assert other.post("/login/", {"email": user.email, "password": PASSWORD}).status_code == 200
    response = other.post("/login/", {"email": user.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert other.session["_auth_user_id"] == str(user.pk)


def test_password_reset_does_not_reveal_unknown_addresses(
    client: HttpClient, world: Any, smtp_server: MailSink
) -> None:
    known = client.post("/password-reset/", {"email": world.users["end_user_a"].email})
    unknown = client.post("/password-reset/", {"email": "nobody@nowhere.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(smtp_server.messages) == 1
    bad = client.post("/password-reset/", {"email": "not an address"})
    assert bad.status_code == 200
    assert 'class="errorlist"' in bad.content.decode()


def test_broken_reset_link_is_explained(client: HttpClient, db: None) -> None:
    response = client.get("/password-reset/MQ/not-a-token/", follow=True)
    assert response.status_code == 200
    assert "This link does not work" in response.content.decode()


def test_password_change(login_as: Any, world: Any) -> None:
    user = world.users["technician_a"]
    http = login_as(user)
    page = http.get("/account/password/").content.decode()
    assert re.search(r'<input[^>]*name="old_password"[^>]*autocomplete="current-password"', page)
    assert "at least 12 characters" in page
    wrong = http.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert 'class="errorlist"' in wrong.content.decode()
    assert http.post("/account/password/", {}).status_code == 200
    response = http.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account")
    assert http.get("/account/").status_code == 200  # still signed in in this browser
    assert audit_count("password_changed", user) == 1
    assert User.unscoped.get(pk=user.pk).check_password(NEW_PASSWORD)
