"""Password sign-in: messages, lockout, per-address throttle, redirects, sign-out, CSRF."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from steward.core.models import AuditEntry, User
from tests.conftest import PASSWORD

LOGIN = "/login/"
INVALID = "That e-mail and password do not match an account."


def sign_in(http: HttpClient, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return http.post(LOGIN, {"email": email, "password": password, **extra})


def signed_in_user_id(http: HttpClient) -> str | None:
    return http.session.get("_auth_user_id")


def audit_actions(user: User, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.unscoped.filter(action=action, object_type="core.user", object_id=str(user.pk)).order_by(
            "seq"
        )
    )


def test_login_page_is_usable_with_the_keyboard(client: HttpClient, db: None) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<label for="id_email">', html)
    assert re.search(r'<input[^>]*name="email"[^>]*autocomplete="username"', html)
    assert re.search(r'<input[^>]*name="email"[^>]*autofocus', html)
    assert re.search(r'<input[^>]*name="password"[^>]*autocomplete="current-password"', html)
    assert reverse("password_reset") in html


def test_sign_in_with_password(client: HttpClient, world: Any) -> None:
    user = world.users["client_admin_a"]
    client.get(LOGIN)
    anonymous_key = client.session.session_key
    response = sign_in(client, user.email.upper())  # e-mail is case-insensitive
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == str(user.pk)
    assert client.session.session_key != anonymous_key  # session rotated
    [entry] = audit_actions(user, "login")
    assert entry.changes == {"method": "password"}
    assert entry.actor_id == user.pk
    assert entry.ip == "127.0.0.1"


@pytest.mark.parametrize("email", ["client.admin@a.example", "nobody@nowhere.example"])
def test_wrong_password_and_unknown_account_look_the_same(client: HttpClient, world: Any, email: str) -> None:
    response = sign_in(client, email, "wrong password 123")
    assert response.status_code == 200
    assert INVALID in response.content.decode()
    assert signed_in_user_id(client) is None
    assert AuditEntry.unscoped.filter(action="login_failed").count() == 1


def test_inactive_user_cannot_sign_in(client: HttpClient, world: Any) -> None:
    user = world.users["client_it_a"]
    User.unscoped.filter(pk=user.pk).update(is_active=False)
    response = sign_in(client, user.email)
    assert response.status_code == 200
    assert INVALID in response.content.decode()
    assert signed_in_user_id(client) is None


def test_invalid_form_input_is_a_form_error(client: HttpClient, world: Any) -> None:
    for data in (
        {},
        {"email": "not-an-address", "password": "x"},
        {"email": "a@b.example", "password": "x" * 5000},
    ):
        response = client.post(LOGIN, data)
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
    assert signed_in_user_id(client) is None


def test_account_locks_after_too_many_failures(client: HttpClient, world: Any, settings: Any) -> None:
    settings.STEWARD_LOGIN_MAX_FAILURES = 5
    user = world.users["technician_a"]
    for _ in range(4):
        assert sign_in(client, user.email, "not my password").status_code == 200
    response = sign_in(client, user.email, "not my password")
    assert response.status_code == 429
    assert "this account is locked. Try again in 15 minutes" in response.content.decode()
    assert int(response["Retry-After"]) > 14 * 60
    # Even the right password is refused while the lock lasts.
    response = sign_in(client, user.email)
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert len(audit_actions(user, "login_failed")) == 5
    assert audit_actions(user, "login_failed")[-1].changes["locked"] is True
    assert len(audit_actions(user, "login_blocked")) == 1
    # Once the lock has run out, the right password works again.
    User.unscoped.filter(pk=user.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


def test_successful_sign_in_resets_the_failure_count(client: HttpClient, world: Any) -> None:
    user = world.users["end_user_a"]
    sign_in(client, user.email, "nope nope nope")
    assert User.unscoped.get(pk=user.pk).failed_login_count == 1
    sign_in(client, user.email)
    assert User.unscoped.get(pk=user.pk).failed_login_count == 0


def test_address_is_throttled_after_many_failures(world: Any, settings: Any) -> None:
    settings.STEWARD_LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    noisy = HttpClient(REMOTE_ADDR="192.0.2.7")
    for i in range(2):
        assert sign_in(noisy, f"guess{i}@example.com", "guess").status_code == 200
    response = sign_in(noisy, "guess9@example.com", "guess")
    assert response.status_code == 429
    assert "Too many failed sign-ins from your network. Try again in 15 minutes." in response.content.decode()
    # The right password from that address is refused too…
    response = sign_in(noisy, world.users["client_admin_a"].email)
    assert response.status_code == 429
    assert signed_in_user_id(noisy) is None
    # …but another address is unaffected.
    other = HttpClient(REMOTE_ADDR="198.51.100.20")
    assert sign_in(other, world.users["client_admin_a"].email).status_code == 302


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/phish",
        "//evil.example/",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_open_redirect_is_refused(client: HttpClient, world: Any, next_url: str) -> None:
    page = client.get(LOGIN, {"next": next_url}).content.decode()
    assert "evil" not in page
    assert "javascript" not in page
    response = sign_in(client, world.users["client_admin_a"].email, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_safe_next_is_followed(client: HttpClient, world: Any) -> None:
    page = client.get(LOGIN, {"next": "/account/"}).content.decode()
    assert 'name="next" value="/account/"' in page
    response = sign_in(client, world.users["client_admin_a"].email, next="/account/")
    assert response["Location"] == "/account/"


def test_signed_in_user_visiting_login_is_sent_on(login_as: Any, world: Any) -> None:
    http = login_as(world.users["client_admin_a"])
    assert http.get(LOGIN)["Location"] == reverse("home")


def test_logout_is_post_only(login_as: Any, world: Any) -> None:
    user = world.users["client_admin_a"]
    http = login_as(user)
    page = http.get("/logout/")
    assert page.status_code == 200
    assert signed_in_user_id(http) == str(user.pk)  # GET only asks
    response = http.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert signed_in_user_id(http) is None
    assert len(audit_actions(user, "logout")) == 1


def test_csrf_token_reaches_htmx_and_is_accepted(world: Any) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(world.users["client_admin_a"], backend="steward.core.auth.EmailBackend")
    page = http.get("/account/").content.decode()
    match = re.search(r"""hx-headers='\{"X-CSRFToken": "([A-Za-z0-9]+)"\}'""", page)
    assert match, "base.html must hand the CSRF token to htmx"
    # A request carrying only that header (as htmx sends it) passes the CSRF check.
    assert http.post("/logout/").status_code == 403
    assert http.post("/logout/", headers={"X-CSRFToken": match.group(1)}).status_code == 302


def test_login_form_without_csrf_token_is_refused(world: Any) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    response = sign_in(http, world.users["client_admin_a"].email)
    assert response.status_code == 403
    assert signed_in_user_id(http) is None
