"""MFA: enrolment, sign-in with a code or a recovery code, replay, expiry, lockout, disable."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from steward.core.models import AuditEntry, MfaDevice, RecoveryCode, User
from steward.core.services import security
from steward.core.views.accounts import PENDING_KEY
from tests.accounts.conftest import enrol_mfa, fresh
from tests.conftest import PASSWORD

SETUP = "/account/mfa/setup/"
VERIFY = "/login/verify/"


def start_sign_in(http: HttpClient, user: User) -> Any:
    response = http.post("/login/", {"email": user.email, "password": PASSWORD, "next": "/account/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_verify")
    return response


def signed_in_user_id(http: HttpClient) -> str | None:
    return http.session.get("_auth_user_id")


def last_audit(action: str, user: User) -> AuditEntry:
    entry = AuditEntry.unscoped.filter(action=action, object_id=str(user.pk)).order_by("-seq").first()
    assert entry is not None, f"no {action} audit entry"
    return entry


def test_enrolment_shows_qr_and_secret_then_recovery_codes(login_as: Any, world: Any) -> None:
    user = world.users["technician_a"]
    http = login_as(user)
    page = http.get(SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    device = MfaDevice.objects.get(user=user)
    assert device.confirmed_at is None
    secret = security.totp_for(device).secret
    shown = re.search(r'<p class="secret-text" id="mfa-secret">([A-Z2-7 ]+)</p>', html)
    assert shown
    assert shown.group(1).replace(" ", "") == secret
    assert re.search(r'<input[^>]*name="code"[^>]*autocomplete="one-time-code"', html)
    # Reloading keeps the same secret (the user may already have scanned it).
    http.get(SETUP)
    assert security.totp_for(MfaDevice.objects.get(user=user)).secret == secret

    totp = security.totp_for(device)
    near = {totp.at(timezone.now().timestamp() + drift) for drift in (-60, -30, 0, 30, 60)}
    wrong_code = next(
        code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in near
    )
    wrong = http.post(SETUP, {"code": wrong_code})
    assert wrong.status_code == 200
    assert "That code did not match" in wrong.content.decode()
    assert not fresh(user).has_mfa

    response = http.post(SETUP, {"code": security.totp_for(device).now()})
    assert response.status_code == 200
    html = response.content.decode()
    codes = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", html)
    assert len(codes) == 10
    assert fresh(user).has_mfa
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert stored == {hashlib.sha256(code.encode()).hexdigest() for code in codes}
    assert last_audit("mfa_enabled", user).actor_id == user.pk
    # Shown once: the account page has the count, never the codes.
    account = http.get("/account/").content.decode()
    assert codes[0] not in account
    assert "Recovery codes left: <strong>10</strong>" in account
    # Enrolling again is refused while MFA is on.
    assert http.get(SETUP)["Location"] == reverse("account")


def test_enrolment_with_bad_input_is_a_form_error(login_as: Any, world: Any) -> None:
    http = login_as(world.users["client_it_a"])
    for data in ({}, {"code": ""}, {"code": "abc"}, {"code": "9" * 40}):
        response = http.post(SETUP, data)
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
    assert not fresh(world.users["client_it_a"]).has_mfa


def test_sign_in_with_password_then_totp(client: HttpClient, world: Any) -> None:
    user = world.users["provider_admin"]
    enrolment = enrol_mfa(user)
    start_sign_in(client, user)
    assert signed_in_user_id(client) is None  # not signed in before the second factor
    assert client.get("/account/").status_code == 302
    page = client.get(VERIFY)
    assert page.status_code == 200
    assert user.email in page.content.decode()
    response = client.post(VERIFY, {"code": enrolment.code()})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert signed_in_user_id(client) == str(user.pk)
    assert PENDING_KEY not in client.session
    assert last_audit("login", user).changes == {"method": "totp"}


def test_replayed_code_is_refused(client: HttpClient, world: Any) -> None:
    user = world.users["client_admin_a"]
    enrolment = enrol_mfa(user)
    code = enrolment.code()
    start_sign_in(client, user)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post("/logout/")
    start_sign_in(client, user)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "That code is not right. 4 attempts left." in response.content.decode()
    assert signed_in_user_id(client) is None


def test_recovery_code_works_once(client: HttpClient, world: Any) -> None:
    user = world.users["technician_all"]
    enrolment = enrol_mfa(user)
    code = enrolment.recovery_codes[3]
    start_sign_in(client, user)
    response = client.post(VERIFY, {"code": code.upper()})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)
    assert last_audit("login", user).changes == {"method": "recovery_code"}
    assert security.remaining_recovery_codes(user) == 9
    client.post("/logout/")
    start_sign_in(client, user)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert signed_in_user_id(client) is None


def test_pending_sign_in_expires_after_five_minutes(client: HttpClient, world: Any) -> None:
    user = world.users["client_admin_a"]
    enrolment = enrol_mfa(user)
    start_sign_in(client, user)
    session = client.session
    session[PENDING_KEY] = {**session[PENDING_KEY], "at": timezone.now().timestamp() - 5 * 60 - 1}
    session.save()
    response = client.post(VERIFY, {"code": enrolment.code()})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert signed_in_user_id(client) is None
    assert PENDING_KEY not in client.session


def test_verify_without_pending_sign_in_goes_to_login(client: HttpClient, db: None) -> None:
    assert client.get(VERIFY)["Location"] == reverse("login")
    assert client.post(VERIFY, {"code": "123456"})["Location"] == reverse("login")


def test_five_wrong_codes_end_the_attempt_and_count_as_a_failure(client: HttpClient, world: Any) -> None:
    user = world.users["client_admin_a"]
    enrolment = enrol_mfa(user)
    start_sign_in(client, user)
    for _ in range(4):
        assert client.post(VERIFY, {"code": "not-a-code"}).status_code == 200
    response = client.post(VERIFY, {"code": "not-a-code"})
    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    assert PENDING_KEY not in client.session
    assert fresh(user).failed_login_count == 1
    assert last_audit("login_failed", user).changes == {"reason": "too many wrong codes", "locked": False}
    # The attempt is over: even the right code no longer helps.
    assert client.post(VERIFY, {"code": enrolment.code()})["Location"] == reverse("login")
    assert signed_in_user_id(client) is None


def test_wrong_codes_lock_the_account(client: HttpClient, world: Any, settings: Any) -> None:
    settings.STEWARD_LOGIN_MAX_FAILURES = 5
    user = world.users["client_admin_a"]
    enrol_mfa(user)
    for _ in range(5):
        start_sign_in(client, user)  # the right password does not wipe the count of wrong codes
        for _ in range(5):
            response = client.post(VERIFY, {"code": "not-a-code"})
    assert response.status_code == 429
    assert "this account is locked" in response.content.decode()
    assert fresh(user).is_locked
    assert last_audit("login_failed", user).changes["locked"] is True
    response = client.post("/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429


def test_staff_must_enrol_when_required(login_as: Any, world: Any, settings: Any) -> None:
    settings.STEWARD_REQUIRE_STAFF_MFA = True
    http = login_as(world.users["technician_a"])
    for url in ("/account/", "/account/tokens/new/", "/"):
        response = http.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_setup")
    page = http.get(SETUP)
    assert page.status_code == 200
    assert "Your organisation requires two-factor authentication" in page.content.decode()
    device = MfaDevice.objects.get(user=world.users["technician_a"])
    http.post(SETUP, {"code": security.totp_for(device).now()})
    assert http.get("/account/").status_code == 200


def test_client_user_with_mfa_required_flag_is_sent_to_enrol(
    login_as: Any, world: Any, settings: Any
) -> None:
    settings.STEWARD_REQUIRE_STAFF_MFA = True
    user = world.users["client_it_a"]
    http = login_as(user)
    assert http.get("/account/").status_code == 200  # the staff rule does not cover client users
    User.unscoped.filter(pk=user.pk).update(mfa_required=True)
    assert http.get("/account/")["Location"] == reverse("mfa_setup")


def test_disabling_mfa_needs_the_password(login_as: Any, world: Any) -> None:
    user = world.users["client_admin_a"]
    enrol_mfa(user)
    http = login_as(user)
    assert http.get("/account/mfa/disable/").status_code == 200
    for data in ({}, {"password": "wrong password"}):
        response = http.post("/account/mfa/disable/", data)
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
        assert fresh(user).has_mfa
    response = http.post("/account/mfa/disable/", {"password": PASSWORD})
    assert response["Location"] == reverse("account")
    assert not MfaDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert last_audit("mfa_disabled", user).changes == {"by": user.email}


def test_mfa_disable_is_refused_on_get_without_password(login_as: Any, world: Any) -> None:
    user = world.users["client_admin_a"]
    enrol_mfa(user)
    http = login_as(user)
    http.get("/account/mfa/disable/")
    assert fresh(user).has_mfa


def test_regenerating_recovery_codes_needs_the_password_and_replaces_them(
    client: HttpClient, world: Any
) -> None:
    user = world.users["technician_all"]
    enrolment = enrol_mfa(user)
    client.force_login(user, backend="steward.core.auth.EmailBackend")
    url = "/account/mfa/recovery-codes/"
    assert "10</strong> of 10" in client.get(url).content.decode()
    response = client.post(url, {"password": "wrong"})
    assert response.status_code == 200
    assert "That is not your current password." in response.content.decode()
    response = client.post(url, {"password": PASSWORD})
    assert response.status_code == 200
    new_codes = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", response.content.decode())
    assert len(new_codes) == 10
    assert not set(new_codes) & set(enrolment.recovery_codes)
    assert last_audit("mfa_recovery_codes_regenerated", user)
    # An old code no longer signs in; a new one does.
    client.post("/logout/")
    start_sign_in(client, user)
    assert client.post(VERIFY, {"code": enrolment.recovery_codes[0]}).status_code == 200
    assert client.post(VERIFY, {"code": new_codes[0]}).status_code == 302


@pytest.mark.parametrize("url", ["/account/mfa/disable/", "/account/mfa/recovery-codes/"])
def test_mfa_pages_without_mfa_redirect(login_as: Any, world: Any, url: str) -> None:
    http = login_as(world.users["client_admin_a"])
    assert http.get(url).status_code == 302
    assert http.post(url, {"password": PASSWORD}).status_code == 302
