"""User accounts through the pages: who may manage whom, invitations, grants, MFA reset."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from steward.core.models import MfaDevice, RecoveryCode, User
from tests.tenancy.helpers import assert_csp_clean, errors_of

NEW_USER = {"full_name": "Nina New", "email": "Nina@A.example", "role": "client_it", "is_active": "on"}


def test_provider_admin_creates_a_client_user_and_sends_the_invite(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.post(
        reverse("user_create"), {**NEW_USER, "client": world.client_a.pk, "send_invite": "on"}
    )
    user = User.unscoped.get(email="nina@a.example")
    assert response["Location"] == reverse("user_detail", args=[user.pk])
    assert user.client == world.client_a
    assert user.role == "client_it"
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@a.example"]
    assert "/password-reset/" in message.body
    assert "Northwind IT" in message.subject

    html = http.get(response["Location"]).content.decode()
    assert "Not set yet" in html
    assert "A set-password e-mail was sent to nina@a.example." in html
    assert_csp_clean(html)


def test_invite_is_optional(world, login_as):
    http = login_as(world.users["provider_admin"])
    http.post(reverse("user_create"), {**NEW_USER, "client": world.client_a.pk})
    assert User.unscoped.filter(email="nina@a.example").exists()
    assert mail.outbox == []


def test_client_role_needs_a_client(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.post(reverse("user_create"), NEW_USER)
    assert errors_of(response)["client"] == ["Choose a client."]


def test_duplicate_email_is_a_field_error(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.post(
        reverse("user_create"), {**NEW_USER, "email": "CLIENT.ADMIN@a.example", "client": world.client_a.pk}
    )
    assert errors_of(response)["email"] == ["An account with this e-mail already exists."]


def test_provider_admin_creates_a_technician_with_client_grants(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.post(
        reverse("user_create"),
        {
            "full_name": "Tom Tech",
            "email": "tom@northwind.example",
            "role": "technician",
            "is_active": "on",
            "client": world.client_a.pk,  # ignored for provider staff
            "granted_clients": [world.client_a.pk, world.client_b.pk],
        },
    )
    assert response.status_code == 302
    tom = User.unscoped.get(email="tom@northwind.example")
    assert tom.client is None
    assert set(tom.granted_clients.all()) == {world.client_a, world.client_b}
    html = http.get(reverse("user_detail", args=[tom.pk])).content.decode()
    assert "Alpha Dental" in html
    assert "Bravo Logistics" in html

    # Editing the grants replaces them.
    http.post(
        reverse("user_edit", args=[tom.pk]),
        {
            "full_name": "Tom Tech",
            "email": "tom@northwind.example",
            "role": "technician",
            "is_active": "on",
            "granted_clients": [world.client_b.pk],
        },
    )
    assert list(tom.granted_clients.all()) == [world.client_b]


def test_client_admin_manages_only_own_client_roles(world, login_as):
    http = login_as(world.users["client_admin_a"])
    form = http.get(reverse("user_create"))
    assert form.status_code == 200
    roles = [value for value, _ in form.context["form"].fields["role"].choices]
    assert roles == ["client_admin", "client_it", "end_user"]
    assert "client" not in form.context["form"].fields  # always their own client
    assert "granted_clients" not in form.context["form"].fields

    response = http.post(reverse("user_create"), {**NEW_USER, "client": world.client_b.pk})
    assert response.status_code == 302
    assert User.unscoped.get(email="nina@a.example").client == world.client_a


@pytest.mark.parametrize("role", ["provider_admin", "technician"])
def test_client_admin_cannot_create_provider_staff(world, login_as, role):
    http = login_as(world.users["client_admin_a"])
    response = http.post(reverse("user_create"), {**NEW_USER, "role": role})
    assert response.status_code == 200
    assert "role" in errors_of(response)
    assert not User.unscoped.filter(email="nina@a.example").exists()


def test_client_admin_cannot_promote_to_provider_admin(world, login_as):
    http = login_as(world.users["client_admin_a"])
    target = world.users["end_user_a"]
    response = http.post(
        reverse("user_edit", args=[target.pk]),
        {"full_name": target.full_name, "email": target.email, "role": "provider_admin", "is_active": "on"},
    )
    assert "role" in errors_of(response)
    target.refresh_from_db()
    assert target.role == "end_user"


def test_client_admin_edits_own_client_user(world, login_as):
    http = login_as(world.users["client_admin_a"])
    target = world.users["end_user_a"]
    response = http.post(
        reverse("user_edit", args=[target.pk]),
        {"full_name": "Eve Renamed", "email": target.email, "role": "client_it", "mfa_required": "on"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.full_name, target.role, target.is_active, target.mfa_required) == (
        "Eve Renamed",
        "client_it",
        False,
        True,
    )


@pytest.mark.parametrize("name", ["user_detail", "user_edit"])
def test_client_admin_of_a_cannot_reach_users_of_b(world, login_as, name):
    http = login_as(world.users["client_admin_a"])
    target = world.users["end_user_b"]
    assert http.get(reverse(name, args=[target.pk])).status_code == 404
    if name == "user_edit":
        response = http.post(
            reverse(name, args=[target.pk]),
            {"full_name": "Hacked", "email": target.email, "role": "end_user", "is_active": "on"},
        )
        assert response.status_code == 404
        target.refresh_from_db()
        assert target.full_name != "Hacked"


def test_client_admin_cannot_see_provider_staff(world, login_as):
    http = login_as(world.users["client_admin_a"])
    assert http.get(reverse("user_detail", args=[world.users["provider_admin"].pk])).status_code == 404
    html = http.get(reverse("user_list")).content.decode()
    assert "admin@northwind.example" not in html
    assert "client.admin@b.example" not in html
    assert "end.user@a.example" in html


def test_own_role_and_active_flag_are_locked(world, login_as):
    admin = world.users["client_admin_a"]
    http = login_as(admin)
    response = http.post(
        reverse("user_edit", args=[admin.pk]), {"full_name": "Me", "email": admin.email, "role": "end_user"}
    )  # is_active omitted
    assert response.status_code == 302
    admin.refresh_from_db()
    assert (admin.full_name, admin.role, admin.is_active) == ("Me", "client_admin", True)


@pytest.mark.parametrize("role", ["end_user_a"])
def test_end_user_cannot_reach_users(world, login_as, role):
    http = login_as(world.users[role])
    assert http.get(reverse("user_list")).status_code == 403
    assert http.get(reverse("user_create")).status_code == 403
    assert http.get(reverse("user_detail", args=[world.users[role].pk])).status_code == 403


def test_client_it_sees_users_but_cannot_manage(world, login_as):
    http = login_as(world.users["client_it_a"])
    assert http.get(reverse("user_list")).status_code == 200
    assert http.get(reverse("user_create")).status_code == 403
    assert http.get(reverse("user_edit", args=[world.users["end_user_a"].pk])).status_code == 403


def _enrol(user: User) -> None:
    MfaDevice.objects.create(user=user, encrypted_secret="x", confirmed_at=timezone.now())
    RecoveryCode.objects.create(user=user, code_hash="0" * 64)


def test_provider_admin_resets_mfa(world, login_as):
    target = world.users["client_admin_a"]
    _enrol(target)
    http = login_as(world.users["provider_admin"])
    assert "Reset two-factor" in http.get(reverse("user_detail", args=[target.pk])).content.decode()
    assert http.get(reverse("user_mfa_reset", args=[target.pk])).status_code == 405
    response = http.post(reverse("user_mfa_reset", args=[target.pk]))
    assert response["Location"] == reverse("user_detail", args=[target.pk])
    assert not MfaDevice.objects.filter(user=target).exists()
    assert not RecoveryCode.objects.filter(user=target).exists()


@pytest.mark.parametrize("role", ["technician_all", "client_admin_a"])
def test_only_provider_admins_reset_mfa(world, login_as, role):
    target = world.users["end_user_a"]
    _enrol(target)
    response = login_as(world.users[role]).post(reverse("user_mfa_reset", args=[target.pk]))
    assert response.status_code == 403
    assert MfaDevice.objects.filter(user=target).exists()


def test_user_detail_shows_recent_activity(world, login_as):
    admin = world.users["provider_admin"]
    http = login_as(admin)
    http.post(reverse("site_edit", args=[world.site_a.pk]), {"name": "Alpha Renamed", "time_zone": "UTC"})
    html = http.get(reverse("user_detail", args=[admin.pk])).content.decode()
    assert "Recent activity" in html
    assert "Alpha Renamed" in html
