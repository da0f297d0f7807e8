"""Personal API tokens from the account pages: create (secret shown once), list, revoke."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.urls import reverse

from steward.core.models import ApiToken, AuditEntry
from steward.core.services import security

NEW = "/account/tokens/new/"


def secret_on(page: str) -> str:
    match = re.search(r'id="token-secret"[^>]*value="(stw_[0-9a-f]{8}_[A-Za-z0-9_-]+)"', page)
    assert match, "the page must show the new token"
    return match.group(1)


def test_create_shows_the_secret_once_and_stores_only_its_hash(login_as: Any, world: Any) -> None:
    user = world.users["client_admin_a"]
    http = login_as(user)
    form = http.get(NEW).content.decode()
    assert re.search(r'<input[^>]*name="name"[^>]*autofocus', form)
    assert 'name="clients"' not in form  # a client user's tokens are always limited to their client
    response = http.post(NEW, {"name": "PSA sync", "role": "client_it", "days": "30"})
    assert response.status_code == 200
    secret = secret_on(response.content.decode())
    token = ApiToken.unscoped.get(user=user)
    assert token.name == "PSA sync"
    assert token.role == "client_it"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.split("_")[1] == token.prefix
    stored = [str(value) for value in ApiToken.unscoped.filter(pk=token.pk).values().first().values()]
    assert not any(secret in value for value in stored)
    entry = AuditEntry.unscoped.filter(action="token_created", object_id=str(token.pk)).get()
    assert secret not in str(entry.changes)
    # The account page lists it, without the secret.
    account = http.get("/account/").content.decode()
    assert "PSA sync" in account
    assert f"stw_{token.prefix}_" in account
    assert secret not in account
    # And the secret works against the API scope machinery.
    authenticated = security.authenticate_token(secret, ip="127.0.0.1")
    assert authenticated is not None
    assert authenticated[0].pk == token.pk


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"name": "", "role": "client_admin", "days": "30"},
        {"name": "x" * 101, "role": "client_admin", "days": "30"},
        {"name": "ok", "role": "provider_admin", "days": "30"},
        {"name": "ok", "role": "nonsense", "days": "30"},
        {"name": "ok", "role": "client_admin", "days": "0"},
        {"name": "ok", "role": "client_admin", "days": "367"},
        {"name": "ok", "role": "client_admin", "days": "ten"},
        {"name": "ok", "role": "client_admin", "days": "30", "clients": "1"},  # ignored, not an error
    ],
)
def test_bad_token_input_is_a_form_error(login_as: Any, world: Any, data: dict[str, str]) -> None:
    http = login_as(world.users["client_admin_a"])
    response = http.post(NEW, data)
    assert response.status_code == 200
    html = response.content.decode()
    if "clients" in data:
        assert ApiToken.unscoped.filter(user=world.users["client_admin_a"]).count() == 1
        assert "stw_" in html
    else:
        assert 'class="errorlist"' in html
        assert not ApiToken.unscoped.exists()


def test_technician_gets_only_own_role_and_own_clients(login_as: Any, world: Any) -> None:
    user = world.users["technician_a"]
    http = login_as(user)
    form = http.get(NEW).content.decode()
    assert re.findall(r'<option value="([a-z_]+)"', form) == ["technician"]
    assert world.client_a.name in form
    assert world.client_b.name not in form
    response = http.post(
        NEW, {"name": "sneaky", "role": "technician", "days": "5", "clients": [world.client_b.pk]}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert world.client_b.name not in response.content.decode()
    assert not ApiToken.unscoped.exists()
    response = http.post(
        NEW, {"name": "alpha only", "role": "technician", "days": "5", "clients": [world.client_a.pk]}
    )
    assert response.status_code == 200
    token = ApiToken.unscoped.get(user=user)
    assert token.limit_clients
    assert list(token.clients.all()) == [world.client_a]


def test_provider_admin_can_limit_a_token_to_some_clients(login_as: Any, world: Any) -> None:
    user = world.users["provider_admin"]
    http = login_as(user)
    form = http.get(NEW).content.decode()
    assert world.client_a.name in form
    assert world.client_b.name in form
    response = http.post(
        NEW, {"name": "reporting", "role": "technician", "days": "366", "clients": [world.client_b.pk]}
    )
    assert response.status_code == 200
    token = ApiToken.unscoped.get(user=user)
    assert token.role == "technician"
    assert list(token.clients.all()) == [world.client_b]
    assert security.token_scope(token).client_ids == frozenset({world.client_b.pk})


def test_end_user_cannot_make_tokens(login_as: Any, world: Any) -> None:
    http = login_as(world.users["end_user_a"])
    assert http.get(NEW).status_code == 403
    assert http.post(NEW, {"name": "x", "role": "end_user", "days": "1"}).status_code == 403
    assert "Personal API tokens" not in http.get("/account/").content.decode()


def test_revoke_own_token(login_as: Any, world: Any) -> None:
    user = world.users["client_it_a"]
    issued = security.issue_token(user, name="backup script", days=10)
    http = login_as(user)
    url = reverse("token_revoke", args=[issued.token.pk])
    assert http.get(url).status_code == 405
    response = http.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("account")
    token = ApiToken.unscoped.get(pk=issued.token.pk)
    assert token.revoked_at is not None
    assert security.authenticate_token(issued.secret, ip="127.0.0.1") is None
    assert AuditEntry.unscoped.filter(action="token_revoked", object_id=str(token.pk)).count() == 1
    assert "Revoked" in http.get("/account/").content.decode()
    assert http.post(url).status_code == 302  # revoking twice is harmless


@pytest.mark.parametrize("owner_key", ["client_admin_b", "client_admin_a", "provider_admin"])
def test_revoking_someone_elses_token_is_not_found(login_as: Any, world: Any, owner_key: str) -> None:
    issued = security.issue_token(world.users[owner_key], name="theirs", days=10)
    http = login_as(world.users["client_it_a"])
    response = http.post(reverse("token_revoke", args=[issued.token.pk]))
    assert response.status_code == 404
    assert ApiToken.unscoped.get(pk=issued.token.pk).revoked_at is None


def test_revoking_a_missing_token_is_not_found(login_as: Any, world: Any) -> None:
    http = login_as(world.users["provider_admin"])
    assert http.post("/account/tokens/999999/revoke/").status_code == 404
