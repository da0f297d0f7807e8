"""The audit trail pages: newest first, filters, scoping and the before → after view."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from steward.core.models import AuditEntry
from tests.tenancy.helpers import assert_csp_clean


def _edit_client_a(http, world, name="Alpha Dental Group"):
    return http.post(
        reverse("client_edit", args=[world.client_a.pk]),
        {
            "name": name,
            "short_code": "ALPHA",
            "status": "active",
            "email_domain": "",
            "phone": "",
            "website": "",
            "notes": "",
        },
    )


def test_edit_appears_in_the_trail_with_before_and_after(world, login_as):
    http = login_as(world.users["provider_admin"])
    _edit_client_a(http, world)
    listing = http.get(reverse("audit_list"))
    first = listing.context["listing"].page.object_list[0]
    assert (first.action, first.object_type, first.object_repr) == (
        "update",
        "core.client",
        "Alpha Dental Group",
    )
    assert reverse("audit_detail", args=[first.pk]) in listing.content.decode()

    detail = http.get(reverse("audit_detail", args=[first.pk]))
    html = detail.content.decode()
    assert detail.context["rows"] == [
        {"field": "name", "before": "Alpha Dental", "after": "Alpha Dental Group"}
    ]
    assert '<td class="before">Alpha Dental</td>' in html
    assert '<td class="after">Alpha Dental Group</td>' in html
    assert "admin@northwind.example" in html
    assert reverse("client_detail", args=[world.client_a.pk]) in html
    assert_csp_clean(html)


def test_newest_first_and_filters(world, login_as):
    http = login_as(world.users["provider_admin"])
    _edit_client_a(http, world)
    _edit_client_a(http, world, "Alpha Again")
    rows = http.get(reverse("audit_list")).context["listing"].page.object_list
    assert [r.seq for r in rows] == sorted((r.seq for r in rows), reverse=True)
    oldest = http.get(reverse("audit_list") + "?sort=at").context["listing"].page.object_list
    assert oldest[0].seq < oldest[1].seq

    updates = http.get(reverse("audit_list") + "?action=update").context["listing"]
    assert updates.total == 2
    assert {r.action for r in updates.page.object_list} == {"update"}
    by_type = http.get(reverse("audit_list") + "?type=core.site").context["listing"]
    assert {r.object_type for r in by_type.page.object_list} == {"core.site"}
    by_actor = http.get(reverse("audit_list") + "?actor=northwind").context["listing"]
    assert by_actor.total == 2
    by_client = http.get(reverse("audit_list") + f"?client={world.client_b.pk}").context["listing"]
    assert {r.client_id for r in by_client.page.object_list} == {world.client_b.pk}

    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    assert http.get(reverse("audit_list") + f"?from={today}&to={today}").context["listing"].total > 0
    assert http.get(reverse("audit_list") + f"?from={tomorrow}").context["listing"].total == 0
    assert http.get(reverse("audit_list") + "?from=31-12-2024").status_code == 200


def test_client_admin_sees_only_own_client_entries(world, login_as):
    _edit_client_a(login_as(world.users["provider_admin"]), world)
    bravo = AuditEntry.unscoped.filter(client_id=world.client_b.pk).first()
    staff_only = AuditEntry.unscoped.filter(client_id__isnull=True).first()
    http = login_as(world.users["client_admin_a"])
    listing = http.get(reverse("audit_list")).context["listing"]
    assert listing.total > 0
    assert {r.client_id for r in listing.page.object_list} == {world.client_a.pk}
    html = http.get(reverse("audit_list")).content.decode()
    assert "Bravo" not in html
    assert 'name="client"' not in html
    assert http.get(reverse("audit_detail", args=[bravo.pk])).status_code == 404
    assert http.get(reverse("audit_detail", args=[staff_only.pk])).status_code == 404
    assert http.get(reverse("audit_list") + f"?client={world.client_b.pk}").status_code == 200


def test_roles_without_audit_permission_are_refused(world, login_as):
    entry = AuditEntry.unscoped.filter(client_id=world.client_a.pk).first()
    for role in ("client_it_a", "end_user_a"):
        http = login_as(world.users[role])
        assert http.get(reverse("audit_list")).status_code == 403
        assert http.get(reverse("audit_detail", args=[entry.pk])).status_code == 403


def test_permission_change_rows_render(world, login_as):
    http = login_as(world.users["provider_admin"])
    world.users["technician_a"].granted_clients.add(world.client_b)
    entry = AuditEntry.unscoped.filter(action="permission_change").latest("seq")
    detail = http.get(reverse("audit_detail", args=[entry.pk]))
    assert detail.status_code == 200
    assert detail.context["rows"][0]["field"] == "granted clients"
    assert f"added {world.client_b.pk}" in detail.context["rows"][0]["after"]
