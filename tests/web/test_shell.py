"""The web shell: dashboard, portal, navigation, CSP-clean pages, keyboard hooks."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.tenancy.helpers import assert_csp_clean


def test_dashboard_for_provider_staff(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.get(reverse("dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Active clients" in html
    assert "Newest clients" in html
    assert "Recent activity" in html
    assert f'href="{reverse("client_list")}?status=active"' in html
    assert "New client" in html
    assert_csp_clean(html)


def test_limited_technician_dashboard_counts_only_granted_clients(world, login_as):
    http = login_as(world.users["technician_a"])
    response = http.get(reverse("dashboard"))
    assert response.context["client_total"] == 1
    assert "Bravo" not in response.content.decode()
    assert "New client" not in response.content.decode()


def test_client_roles_land_on_the_portal(world, login_as):
    http = login_as(world.users["client_admin_a"])
    assert http.get(reverse("dashboard"))["Location"] == reverse("portal_home")
    html = http.get(reverse("portal_home")).content.decode()
    assert "Alpha Dental" in html
    assert "Alpha Main Surgery" in html
    assert "Add a user" in html
    assert "Bravo" not in html
    assert_csp_clean(html)


def test_end_user_portal_hides_admin_parts(world, login_as):
    html = login_as(world.users["end_user_a"]).get(reverse("portal_home")).content.decode()
    assert "Alpha Dental" in html
    assert "Add a user" not in html
    assert "Recent activity" not in html
    assert reverse("user_list") not in html
    assert reverse("audit_list") not in html


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        ("provider_admin", ["Clients", "Sites", "Contacts", "Users", "Audit trail"], []),
        ("client_admin_a", ["Sites", "Contacts", "Users", "Audit trail"], ['href="/clients/"']),
        ("end_user_a", [], ['href="/users/"', 'href="/audit/"', 'href="/contacts/"']),
    ],
)
def test_navigation_follows_the_role(world, login_as, role, visible, hidden):
    html = login_as(world.users[role]).get(reverse("home"), follow=True).content.decode()
    nav = html[html.index('<aside class="sidebar"') : html.index("</aside>")]
    for label in visible:
        assert f">{label}</a>" in nav
    for snippet in hidden:
        assert snippet not in nav


def test_every_page_is_csp_clean_and_labelled(world, login_as):
    http = login_as(world.users["provider_admin"])
    urls = [
        reverse(name)
        for name in (
            "dashboard",
            "client_list",
            "client_create",
            "site_list",
            "site_create",
            "contact_list",
            "contact_create",
            "user_list",
            "user_create",
            "audit_list",
        )
    ]
    for name, obj in (("client", world.client_a), ("site", world.site_a), ("contact", world.contact_a)):
        urls += [reverse(f"{name}_{verb}", args=[obj.pk]) for verb in ("detail", "edit", "delete")]
    urls += [
        reverse("user_detail", args=[world.users["technician_a"].pk]),
        reverse("user_edit", args=[world.users["technician_a"].pk]),
    ]
    for url in urls:
        response = http.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_csp_clean(html)
        assert 'class="skip-link"' in html
        # every visible form control has a label
        for control_id in _ids_of_controls(html):
            assert f'for="{control_id}"' in html, (url, control_id)


def _ids_of_controls(html: str) -> list[str]:
    import re

    ids = []
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in tag or 'type="submit"' in tag:
            continue
        match = re.search(r'\sid="([^"]+)"', tag)
        assert match, tag
        ids.append(match.group(1))
    return ids


def test_not_found_page_is_friendly(world, login_as):
    response = login_as(world.users["provider_admin"]).get(reverse("client_detail", args=[999999]))
    assert response.status_code == 404
    assert "outside your access" in response.content.decode()


def test_static_assets_exist():
    css = finders.find("steward/steward.css")
    js = finders.find("steward/steward.js")
    assert css
    assert js
    with open(css) as handle:
        text = handle.read()
    assert ":focus-visible" in text
    assert ".visually-hidden" in text
    with open(js) as handle:
        assert "data-search" in handle.read()


def test_anonymous_users_are_sent_to_sign_in(db, client):
    for url in ("/clients/", "/sites/new/", "/users/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
