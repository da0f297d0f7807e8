"""The list pages: search, sort, filters, pagination, htmx partials and bounded queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from steward.core import audit
from steward.core.models import Client, User
from steward.core.roles import Role
from tests.conftest import make_user
from tests.tenancy.helpers import assert_csp_clean

HX = {"HTTP_HX_REQUEST": "true"}
CSRF = re.compile(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"')


def names(response, attr: str = "name") -> list[str]:
    return [getattr(row, attr) for row in response.context["listing"].page.object_list]


def test_search_sort_and_status_filter(world, login_as, bulk_rows):
    bulk_rows(world.provider, 30)
    http = login_as(world.users["provider_admin"])
    assert names(http.get("/clients/?q=alpha")) == ["Alpha Dental"]
    assert names(http.get("/clients/?q=bulk 0012")) == ["Bulk Client 0012"]
    assert names(http.get("/clients/?q=BUL0003")) == ["Bulk Client 0003"]  # short code
    assert names(http.get("/clients/?sort=-name"))[0] == "Bulk Client 0029"
    assert names(http.get("/clients/?sort=name"))[:2] == ["Alpha Dental", "Bravo Logistics"]
    onboarding = http.get("/clients/?status=onboarding")
    assert {c.status for c in onboarding.context["listing"].page.object_list} == {"onboarding"}
    assert onboarding.context["listing"].total == 15


def test_pagination_50_per_page(world, login_as, bulk_rows):
    bulk_rows(world.provider, 120)
    http = login_as(world.users["provider_admin"])
    first = http.get("/clients/")
    listing = first.context["listing"]
    assert listing.total == 122
    assert len(names(first)) == 50
    assert listing.page.paginator.num_pages == 3
    html = first.content.decode()
    assert "122 clients" in html
    assert 'href="?page=2"' in html
    assert 'aria-current="page">1<' in html
    last = http.get("/clients/?page=3")
    assert len(names(last)) == 22
    # out of range → last page; nonsense → first page with a notice
    assert http.get("/clients/?page=999").context["listing"].page.number == 3
    assert http.get("/clients/?page=0").context["listing"].page.number == 1
    bad = http.get("/clients/?page=abc")
    assert bad.status_code == 200
    assert bad.context["listing"].page.number == 1
    assert "not valid" in bad.content.decode()


def test_sort_links_keep_the_search_and_reset_the_page(world, login_as, bulk_rows):
    bulk_rows(world.provider, 60)
    html = login_as(world.users["provider_admin"]).get("/clients/?q=bulk&page=2&sort=name").content.decode()
    assert 'href="?q=bulk&amp;sort=-name"' in html  # toggles direction, drops page
    assert 'aria-sort="ascending"' in html
    assert 'href="?q=bulk&amp;page=1&amp;sort=name"' in html  # page links keep q and sort


@pytest.mark.parametrize(
    "query",
    [
        "sort=password",
        "sort=-client__provider__name",
        "status=deleted",
        "sort=%00",
        "client=abc",
        "client=-4",
        "tz=Not/AZone",
        "page=1e9",
        "q=" + "x" * 500,
    ],
)
def test_unknown_sort_and_filter_values_never_fail(world, login_as, query):
    for url in ("/clients/", "/sites/", "/contacts/", "/users/", "/audit/"):
        response = login_as(world.users["provider_admin"]).get(f"{url}?{query}")
        assert response.status_code == 200, (url, query)


def test_bad_values_get_a_clear_message(world, login_as):
    http = login_as(world.users["provider_admin"])
    html = http.get("/clients/?sort=password&status=deleted").content.decode()
    assert "Cannot sort by “password”" in html
    assert "Ignored the status filter" in html
    assert names(http.get("/clients/?sort=password")) == ["Alpha Dental", "Bravo Logistics"]


def test_site_list_filters_by_client_and_time_zone(world, login_as, bulk_rows):
    clients = bulk_rows(world.provider, 10)
    http = login_as(world.users["provider_admin"])
    response = http.get(f"/sites/?client={clients[3].pk}")
    assert names(response) == ["Bulk Client 0003 HQ"]
    assert "selected>Bulk Client 0003<" in response.content.decode()
    tokyo = http.get("/sites/?tz=Asia/Tokyo")
    assert {s.time_zone for s in tokyo.context["listing"].page.object_list} == {"Asia/Tokyo"}
    assert names(http.get("/sites/?q=surgery")) == ["Alpha Main Surgery"]
    assert names(http.get("/sites/?sort=-client"))[0] == "Bulk Client 0009 HQ"


def test_client_filter_outside_the_scope_shows_nothing(world, login_as):
    http = login_as(world.users["client_admin_a"])
    for url in ("/sites/", "/contacts/"):
        response = http.get(f"{url}?client={world.client_b.pk}")
        assert response.status_code == 200
        assert response.context["listing"].total == 0
        html = response.content.decode()
        assert "Bravo" not in html
    # and it looks exactly like a client that does not exist at all
    missing = CSRF.sub("", http.get("/sites/?client=999999").content.decode())
    other = CSRF.sub("", http.get(f"/sites/?client={world.client_b.pk}").content.decode())
    assert missing.replace("999999", "ID") == other.replace(str(world.client_b.pk), "ID")


def test_technician_lists_only_granted_clients(world, login_as):
    http = login_as(world.users["technician_a"])
    for url, present, absent in [
        ("/clients/", "Alpha Dental", "Bravo"),
        ("/sites/", "Alpha Main", "Bravo"),
        ("/contacts/", "Alice Alpha", "Boris"),
        ("/users/", "client.admin@a", "b.example"),
    ]:
        html = http.get(f"{url}?q=").content.decode()
        assert present in html, url
        assert absent not in html, url


def test_contact_search_and_primary_filter(world, login_as):
    http = login_as(world.users["provider_admin"])
    assert names(http.get("/contacts/?q=boris@"), "full_name") == ["Boris Bravo"]
    assert names(http.get("/contacts/?q=alpha dental"), "full_name") == ["Alice Alpha"]  # by client name
    assert names(http.get("/contacts/?primary=yes"), "full_name") == []
    assert names(http.get("/contacts/?primary=no&sort=-name"), "full_name") == ["Boris Bravo", "Alice Alpha"]


def test_user_list_filters(world, login_as):
    http = login_as(world.users["provider_admin"])
    techs = http.get("/users/?role=technician")
    assert {u.role for u in techs.context["listing"].page.object_list} == {"technician"}
    a_users = http.get(f"/users/?client={world.client_a.pk}")
    assert {u.client_id for u in a_users.context["listing"].page.object_list} == {world.client_a.pk}
    world.users["end_user_a"].is_active = False
    world.users["end_user_a"].save()
    inactive = http.get("/users/?status=inactive")
    assert names(inactive, "email") == ["end.user@a.example"]
    assert http.get("/users/?mfa=on").context["listing"].total == 0
    assert http.get("/users/?mfa=off").context["listing"].total == 9


def test_htmx_request_returns_only_the_table(world, login_as):
    http = login_as(world.users["provider_admin"])
    for url in ("/clients/", "/sites/", "/contacts/", "/users/", "/audit/"):
        full = http.get(url).content.decode()
        assert "<html" in full
        assert 'id="list-results"' in full
        assert "data-search" in full
        assert 'hx-trigger="input changed delay:300ms, search"' in full
        assert 'hx-push-url="true"' in full
        response = http.get(f"{url}?q=a", **HX)
        partial = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in partial
        assert "<table" in partial
        assert 'form="list-filters"' in partial  # the sort field travels with the results
        assert "HX-Request" in response["Vary"]
    # a history restore (cache miss) needs the whole page
    restore = http.get("/clients/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()


def test_list_pages_are_csp_clean(world, login_as):
    http = login_as(world.users["provider_admin"])
    for url in ("/clients/", "/sites/", "/contacts/", "/users/", "/audit/", "/clients/?q=zzz"):
        assert_csp_clean(http.get(url).content.decode())


def _add_rows(world, n: int) -> None:
    clients = Client.unscoped.bulk_create(
        Client(provider=world.provider, name=f"Extra {i:03d}", short_code=f"EX{i:03d}") for i in range(n)
    )
    from steward.core.models import Contact, Site

    sites = Site.unscoped.bulk_create(
        Site(client=c, name=f"Site {c.name}", time_zone="Europe/Berlin") for c in clients
    )
    Contact.unscoped.bulk_create(
        Contact(client=c, site=s, full_name=f"Person {c.name}") for c, s in zip(clients, sites, strict=True)
    )
    for i, client in enumerate(clients):
        user = make_user(world.provider, f"extra{i}@x.example", Role.END_USER, client)
        audit.record("update", obj=user, changes={"full_name": ["a", "b"]})


@pytest.mark.parametrize(
    "url",
    [
        "/clients/",
        "/sites/",
        "/contacts/",
        "/users/",
        "/audit/",
        "/sites/?sort=-client&q=e",
        "/contacts/?sort=site",
    ],
)
def test_query_count_does_not_grow_with_rows(world, login_as, django_assert_max_num_queries, url, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    http = login_as(world.users["provider_admin"])
    with CaptureQueriesContext(connection) as few:
        assert http.get(url).status_code == 200
    _add_rows(world, 200)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(url)
    assert len(response.context["listing"].page.object_list) >= 50 or "audit" in url
    assert response.context["listing"].total > 100


def test_client_filter_select_gives_way_to_a_chip_for_huge_directories(world, login_as, monkeypatch):
    from steward.core.views import tenancy

    monkeypatch.setattr(tenancy, "CLIENT_SELECT_LIMIT", 1)
    http = login_as(world.users["provider_admin"])
    html = http.get("/sites/").content.decode()
    assert 'name="client"' not in html
    html = http.get(f"/sites/?client={world.client_b.pk}").content.decode()
    assert f'<option value="{world.client_b.pk}" selected>Bravo Logistics</option>' in html
    assert User.unscoped.count() == 9
