"""Enrollment tokens: created with the secret shown once (hash stored), listed, revoked."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from steward.core.scoping import Scope
from steward.devices.models import EnrollmentToken
from steward.devices.services.tokens import create_enrollment_token, revoke_enrollment_token, split_token
from tests.tenancy.helpers import assert_csp_clean


def test_create_shows_secret_once_and_stores_only_the_hash(world, login_as, settings):
    settings.SITE_URL = "https://steward.example"
    http = login_as(world.users["client_it_a"])
    assert http.get(reverse("enrollment_token_create")).status_code == 200
    response = http.post(
        reverse("enrollment_token_create"),
        {
            "client": world.client_a.pk,
            "site": world.site_a.pk,
            "name": "Surgery laptops",
            "days": 7,
            "max_uses": 5,
        },
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    token = EnrollmentToken.unscoped.get()
    assert secret.startswith(f"ste_{token.prefix}_") and len(token.prefix) == 8
    assert split_token(secret) == token.prefix
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (token.client_id, token.site_id, token.max_uses, token.status) == (
        world.client_a.pk,
        world.site_a.pk,
        5,
        "active",
    )
    html = response.content.decode()
    assert f"steward-agent enroll --server https://steward.example --token {secret}" in html
    assert response["Cache-Control"] == "no-store"
    assert_csp_clean(html)
    listing = http.get(reverse("enrollment_token_list")).content.decode()
    assert "Surgery laptops" in listing and secret not in listing and token.token_hash not in listing


def test_form_refuses_other_clients_and_mismatched_sites(world, login_as):
    http = login_as(world.users["client_it_a"])
    for data in (
        {"client": world.client_b.pk, "name": "x", "days": 7},
        {"client": world.client_a.pk, "site": world.site_b.pk, "name": "x", "days": 7},
        {"client": world.client_a.pk, "name": "x", "days": 400},
    ):
        assert http.post(reverse("enrollment_token_create"), data).status_code == 200
    assert not EnrollmentToken.unscoped.exists()


def test_revoke(world, login_as):
    scope = Scope.for_user(world.users["technician_a"])
    token, _ = create_enrollment_token(scope, world.client_a.pk, None, "Laptops", 30, None)
    http = login_as(world.users["technician_a"])
    assert http.post(reverse("enrollment_token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.status == "revoked"
    assert http.get(reverse("enrollment_token_list"), {"state": "revoked"}).context["listing"].total == 1
    assert http.get(reverse("enrollment_token_list"), {"state": "active"}).context["listing"].total == 0


def test_service_checks(world):
    scope = Scope.for_user(world.users["client_it_a"])
    with pytest.raises(ValidationError) as caught:
        create_enrollment_token(scope, world.client_b.pk, None, "x", 7, None)
    assert caught.value.message_dict == {"client": ["Unknown client."]}
    with pytest.raises(ValidationError) as caught:
        create_enrollment_token(scope, world.client_a.pk, world.site_b.pk, "", 0, 0)
    assert set(caught.value.message_dict) == {"name", "days", "max_uses", "site"}
    with pytest.raises(PermissionDenied):
        create_enrollment_token(
            Scope.for_user(world.users["client_admin_a"]), world.client_a.pk, None, "x", 7, None
        )
    token, secret = create_enrollment_token(scope, world.client_a.pk, None, "ok", 7, None)
    assert secret not in str(token.audit_values())
    other = Scope.for_user(world.users["client_it_b"])
    with pytest.raises(EnrollmentToken.DoesNotExist):
        revoke_enrollment_token(other, token)
