"""Configuration pages: canned responses and macros (servicedesk.configure only)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from steward.servicedesk.models import CannedResponse, Macro
from tests.tenancy.helpers import assert_csp_clean, errors_of


@pytest.mark.parametrize("role", ["technician_all", "technician_a", "client_admin_a", "end_user_a"])
def test_only_configuring_staff_get_in(world, role, login_as):
    http = login_as(world.users[role])
    for name in ("canned_response_list", "canned_response_create", "macro_list", "macro_create"):
        assert http.get(reverse(name)).status_code == 403, name


def test_canned_responses_crud(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.get(reverse("canned_response_list"))
    assert response.status_code == 200
    assert_csp_clean(response.content.decode())
    response = http.post(
        reverse("canned_response_create"),
        {"title": "Reboot first", "body": "Hi {requester}, please restart.", "client": world.client_a.pk},
    )
    assert response.status_code == 302
    canned = CannedResponse.objects.get(title="Reboot first")
    assert canned.client_id == world.client_a.pk
    html = http.get(reverse("canned_response_list")).content.decode()
    assert "Reboot first" in html and world.client_a.name in html

    response = http.post(
        reverse("canned_response_edit", args=[canned.pk]),
        {"title": "Restart first", "body": "Hi", "client": ""},
    )
    assert response.status_code == 302
    canned.refresh_from_db()
    assert (canned.title, canned.client_id) == ("Restart first", None)

    for data, field in [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "t" * 151, "body": "x"}, "title"),
        ({"title": "x", "body": ""}, "body"),
        ({"title": "x", "body": "y", "client": "abc"}, "client"),
        ({"title": "x", "body": "y", "client": 999_999}, "client"),
    ]:
        response = http.post(reverse("canned_response_create"), data)
        assert response.status_code == 200
        assert field in errors_of(response), field

    assert http.get(reverse("canned_response_delete", args=[canned.pk])).status_code == 200
    assert http.post(reverse("canned_response_delete", args=[canned.pk])).status_code == 302
    assert not CannedResponse.objects.filter(pk=canned.pk).exists()
    assert http.get(reverse("canned_response_edit", args=[canned.pk])).status_code == 404


def test_macros_crud(world, login_as):
    from steward.servicedesk.models import Queue

    queue = Queue.objects.create(provider=world.provider, name="Projects")
    http = login_as(world.users["provider_admin"])
    assert http.get(reverse("macro_create")).status_code == 200
    response = http.post(
        reverse("macro_create"),
        {
            "name": "Close as duplicate",
            "status": "closed",
            "priority": "p4",
            "queue": queue.pk,
            "assignee": "none",
            "add_tags": "duplicate, cleanup",
            "reply": "Hi {requester}, this duplicates another ticket.",
        },
    )
    assert response.status_code == 302
    macro = Macro.objects.get(name="Close as duplicate")
    assert macro.actions == {
        "status": "closed",
        "priority": "p4",
        "queue_id": queue.pk,
        "assignee_id": None,
        "add_tags": ["duplicate", "cleanup"],
        "reply": "Hi {requester}, this duplicates another ticket.",
    }
    html = http.get(reverse("macro_list")).content.decode()
    assert_csp_clean(html)
    assert "Close as duplicate" in html and "Projects" in html and "nobody" in html

    # The edit form shows the actions again; saving unchanged keeps them.
    response = http.get(reverse("macro_edit", args=[macro.pk]))
    assert response.context["form"].initial["assignee"] == "none"
    response = http.post(reverse("macro_edit", args=[macro.pk]), {"name": "Close as dup", "status": "closed"})
    assert response.status_code == 302
    macro.refresh_from_db()
    assert macro.actions == {"status": "closed"}

    for data in (
        {"name": "Empty"},  # no action at all
        {"name": "Close as dup", "status": "open"},  # the name is taken (another macro)
        {"name": "Bad", "status": "merged"},
        {"name": "Bad", "priority": "p0"},
        {"name": "Bad", "assignee": "12345"},
        {"name": "", "status": "open"},
    ):
        if data.get("name") == "Close as dup":
            Macro.objects.create(provider=world.provider, name="Other", actions={"status": "open"})
            response = http.post(reverse("macro_edit", args=[Macro.objects.get(name="Other").pk]), data)
        else:
            response = http.post(reverse("macro_create"), data)
        assert response.status_code == 200, data
        assert response.context["form"].errors, data

    assert http.post(reverse("macro_delete", args=[macro.pk])).status_code == 302
    assert not Macro.objects.filter(pk=macro.pk).exists()
