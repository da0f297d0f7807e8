"""Authentication: tokens, the session (with CSRF), 401 answers and audit attribution."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from steward.core.models import ApiToken, AuditEntry, Client, User
from steward.core.services.security import issue_token, revoke_token
from tests.api.conftest import BASE, Api

pytestmark = pytest.mark.django_db


def _assert_401(response, *, error: str | None = None):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    if error:
        assert f'error="{error}"' in challenge


def test_no_credentials(world):
    response = Api().get("/me")
    _assert_401(response)
    assert "Authorization: Bearer" in response.json()["detail"]
    # An unsafe method without credentials is a 401 too (not a CSRF 403).
    _assert_401(Api().post("/clients", {"name": "X", "short_code": "X"}))


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token stw_abc", "stw_whatever"],
)
def test_malformed_authorization_header(world, header):
    response = HttpClient().get(f"{BASE}/me", headers={"Authorization": header})
    _assert_401(response, error="invalid_request")
    assert "Malformed" in response.json()["detail"]


@pytest.mark.parametrize(
    "secret",
    [
        "stw_deadbeef_nope",
        "stw_1234_short",
        "not-a-token",
        "stw_" + "x" * 5000,
        "stw_\u00e9\u00e9\u00e9\u00e9_x",
    ],
)
def test_unknown_token(world, secret):
    _assert_401(Api(secret).get("/me"), error="invalid_token")


def test_tampered_token(world, make_token):
    secret = make_token("provider_admin")
    _assert_401(Api(secret[:-2] + "zz").get("/me"), error="invalid_token")


def test_expired_token(world):
    issued = issue_token(world.users["provider_admin"], name="old")
    ApiToken.unscoped.filter(pk=issued.token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _assert_401(Api(issued.secret).get("/me"), error="invalid_token")


def test_revoked_token(world):
    issued = issue_token(world.users["client_admin_a"], name="gone")
    assert Api(issued.secret).get("/me").status_code == 200
    revoke_token(issued.token)
    _assert_401(Api(issued.secret).get("/me"), error="invalid_token")


def test_token_of_inactive_user(world, make_token):
    secret = make_token("client_it_a")
    User.unscoped.filter(pk=world.users["client_it_a"].pk).update(is_active=False)
    _assert_401(Api(secret).get("/clients"), error="invalid_token")


def test_bad_token_is_refused_even_with_a_session(world, login_as):
    http = login_as(world.users["provider_admin"])
    _assert_401(Api("stw_deadbeef_nope", http=http).get("/me"), error="invalid_token")


def test_me_with_token(world, make_token):
    secret = make_token("client_admin_a", role="client_it")
    body = Api(secret).get("/me").json()
    assert body["user"]["email"] == world.users["client_admin_a"].email
    assert body["auth_method"] == "token"
    assert body["role"] == "client_it"
    assert "users.manage" not in body["permissions"]  # the token's role, not the owner's
    assert "sites.change" in body["permissions"]
    assert [c["name"] for c in body["clients"]] == ["Alpha Dental"]
    assert body["token"]["role"] == "client_it"
    assert "secret" not in body["token"]
    assert "token_hash" not in body["token"]


def test_me_with_session(world, login_as):
    body = Api(http=login_as(world.users["technician_a"])).get("/me").json()
    assert body["auth_method"] == "session"
    assert body["token"] is None
    assert body["all_clients"] is False
    assert [c["name"] for c in body["clients"]] == ["Alpha Dental"]


def test_session_get_and_post_with_csrf(world):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(world.users["provider_admin"], backend="steward.core.auth.EmailBackend")
    assert http.get(f"{BASE}/clients").status_code == 200

    # Without the CSRF token an unsafe request is refused.
    refused = http.post(
        f"{BASE}/clients", {"name": "No Csrf", "short_code": "NOCSRF"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Client.unscoped.filter(name="No Csrf").exists()

    # With the cookie and the header it goes through.
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    http.cookies[_csrf_cookie_name()] = secret
    accepted = http.post(
        f"{BASE}/clients",
        {"name": "With Csrf", "short_code": "CSRF"},
        content_type="application/json",
        headers={"X-CSRFToken": _mask_cipher_secret(secret)},
    )
    assert accepted.status_code == 201, accepted.content


def _csrf_cookie_name() -> str:
    from django.conf import settings

    return settings.CSRF_COOKIE_NAME


def test_session_user_who_must_enrol_mfa_is_refused(world, login_as):
    user = world.users["client_admin_a"]
    User.unscoped.filter(pk=user.pk).update(mfa_required=True)
    response = Api(http=login_as(User.unscoped.get(pk=user.pk))).get("/me")
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_token_writes_are_audited_as_the_token(world, make_token):
    issued = issue_token(world.users["client_it_a"], name="sync")
    api = Api(issued.secret)
    created = api.post("/sites", {"client_id": world.client_a.pk, "name": "Audited Site", "time_zone": "UTC"})
    assert created.status_code == 201
    site_id = created.json()["id"]
    assert api.patch(f"/sites/{site_id}", {"city": "Leeds"}).status_code == 200
    entries = AuditEntry.unscoped.filter(object_type="core.site", object_id=str(site_id)).order_by("seq")
    assert [e.action for e in entries] == ["create", "update"]
    for entry in entries:
        assert entry.actor_type == "token"
        assert entry.token_id == issued.token.pk
        assert entry.actor_id == world.users["client_it_a"].pk
        assert entry.ip == "127.0.0.1"
        assert entry.request_id
        assert entry.client_id == world.client_a.pk


def test_session_writes_are_audited_as_the_user(world, login_as):
    api = Api(http=login_as(world.users["provider_admin"]))
    assert api.patch(f"/clients/{world.client_a.pk}", {"phone": "0113 000"}).status_code == 200
    entry = AuditEntry.unscoped.filter(object_type="core.client", action="update").latest("seq")
    assert entry.actor_type == "user"
    assert entry.token_id is None
    assert entry.actor_id == world.users["provider_admin"].pk


def test_actor_does_not_leak_into_the_next_request(world, make_token, login_as):
    Api(make_token("provider_admin")).patch(f"/clients/{world.client_a.pk}", {"phone": "1"})
    api = Api(http=login_as(world.users["provider_admin"]))
    api.patch(f"/clients/{world.client_a.pk}", {"phone": "2"})
    entry = AuditEntry.unscoped.filter(object_type="core.client", action="update").latest("seq")
    assert entry.actor_type == "user"
