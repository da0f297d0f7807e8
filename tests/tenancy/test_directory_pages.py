"""Clients, sites and contacts through the web pages: CRUD, validation and permissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from steward.core.models import AuditEntry, Client, Contact, Site, User
from tests.tenancy.helpers import assert_csp_clean, errors_of

CLIENT_DATA = {
    "name": "Charlie Clinic",
    "short_code": "charlie",
    "status": "active",
    "email_domain": "@Charlie.example",
    "phone": "",
    "website": "",
    "notes": "Opened 2024",
}


# --- clients --------------------------------------------------------------------------


def test_provider_admin_creates_edits_and_deletes_a_client(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.post(reverse("client_create"), CLIENT_DATA)
    client = Client.unscoped.get(name="Charlie Clinic")
    assert response.status_code == 302
    assert response["Location"] == reverse("client_detail", args=[client.pk])
    assert client.short_code == "CHARLIE"
    assert client.email_domain == "charlie.example"
    assert client.provider == world.provider

    page = http.get(response["Location"])
    assert "Client “Charlie Clinic” created." in page.content.decode()
    assert_csp_clean(page.content.decode())

    response = http.post(
        reverse("client_edit", args=[client.pk]),
        {**CLIENT_DATA, "name": "Charlie Dental", "status": "offboarded"},
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.name, client.status) == ("Charlie Dental", "offboarded")

    confirm = http.get(reverse("client_delete", args=[client.pk]))
    assert confirm.status_code == 200
    assert "Type the client&#x27;s code" in confirm.content.decode()
    wrong = http.post(reverse("client_delete", args=[client.pk]), {"confirm": "NOPE"})
    assert wrong.status_code == 200
    assert Client.unscoped.filter(pk=client.pk).exists()
    response = http.post(reverse("client_delete", args=[client.pk]), {"confirm": "charlie"})
    assert response.status_code == 302
    assert response["Location"] == reverse("client_list")
    assert not Client.unscoped.filter(pk=client.pk).exists()


def test_delete_confirmation_lists_what_goes_with_the_client(world, login_as):
    http = login_as(world.users["provider_admin"])
    html = http.get(reverse("client_delete", args=[world.client_a.pk])).content.decode()
    assert "<strong>1</strong> site" in html
    assert "<strong>1</strong> contact" in html
    assert "<strong>3</strong> user accounts" in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"short_code": "alpha"}, "short_code", "Another client already uses this code."),
        ({"name": "alpha DENTAL"}, "name", "Another client already has this name."),
        ({"short_code": "not a slug!"}, "short_code", "Enter a valid"),
        ({"email_domain": "nodot"}, "email_domain", "Enter a domain"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_client_validation_errors_are_shown_on_the_field(world, login_as, data, field, message):
    http = login_as(world.users["provider_admin"])
    response = http.post(reverse("client_create"), {**CLIENT_DATA, **data})
    assert response.status_code == 200
    assert any(message in error for error in errors_of(response)[field])
    assert "has-error" in response.content.decode()
    assert not Client.unscoped.filter(name="Charlie Clinic").exists()


def test_duplicate_name_on_edit_is_a_field_error(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.post(
        reverse("client_edit", args=[world.client_b.pk]),
        {**CLIENT_DATA, "name": "Alpha Dental", "short_code": "BRAVO"},
    )
    assert errors_of(response)["name"] == ["Another client already has this name."]
    world.client_b.refresh_from_db()
    assert world.client_b.name == "Bravo Logistics"


@pytest.mark.parametrize("role", ["technician_all", "technician_a", "client_admin_a", "end_user_a"])
def test_only_provider_admins_create_clients(world, login_as, role):
    http = login_as(world.users[role])
    assert http.get(reverse("client_create")).status_code == 403
    assert http.post(reverse("client_create"), CLIENT_DATA).status_code == 403
    assert not Client.unscoped.filter(name="Charlie Clinic").exists()


def test_technician_may_edit_but_not_delete(world, login_as):
    http = login_as(world.users["technician_a"])
    assert http.get(reverse("client_edit", args=[world.client_a.pk])).status_code == 200
    assert http.get(reverse("client_delete", args=[world.client_a.pk])).status_code == 403
    assert (
        http.post(reverse("client_delete", args=[world.client_a.pk]), {"confirm": "ALPHA"}).status_code == 403
    )


@pytest.mark.parametrize("name", ["client_detail", "client_edit", "client_delete"])
@pytest.mark.parametrize("role", ["technician_a", "client_admin_a", "client_it_a", "end_user_a"])
def test_other_clients_are_not_found(world, login_as, name, role):
    http = login_as(world.users[role])
    response = http.get(reverse(name, args=[world.client_b.pk]))
    assert response.status_code in (403, 404)
    assert "Bravo" not in response.content.decode()


def test_client_detail_shows_sites_contacts_users_and_activity(world, login_as):
    http = login_as(world.users["provider_admin"])
    http.post(
        reverse("client_edit", args=[world.client_a.pk]),
        {**CLIENT_DATA, "name": "Alpha Dental Group", "short_code": "ALPHA"},
    )
    html = http.get(reverse("client_detail", args=[world.client_a.pk])).content.decode()
    assert "Alpha Main Surgery" in html
    assert "Alice Alpha" in html
    assert "client.admin@a.example" in html  # users section for provider admins
    assert "Recent activity" in html
    assert "Alpha Dental Group" in html
    assert "Bravo" not in html
    assert_csp_clean(html)


def test_end_user_sees_client_without_users_or_audit(world, login_as):
    html = (
        login_as(world.users["end_user_a"])
        .get(reverse("client_detail", args=[world.client_a.pk]))
        .content.decode()
    )
    assert "Alpha Dental" in html
    assert "client.admin@a.example" not in html
    assert "Recent activity" not in html
    assert reverse("client_edit", args=[world.client_a.pk]) not in html


# --- sites ----------------------------------------------------------------------------

SITE_DATA = {
    "name": "Alpha Annex",
    "time_zone": "Europe/Paris",
    "address_line1": "1 Rue de Rivoli",
    "address_line2": "",
    "city": "Paris",
    "region": "",
    "postal_code": "75001",
    "country": "fr",
    "phone": "",
    "notes": "",
}


def test_site_crud_through_the_pages(world, login_as):
    http = login_as(world.users["client_it_a"])
    form = http.get(reverse("site_create") + f"?client={world.client_a.pk}")
    assert form.status_code == 200
    assert form.context["form"]["client"].value() == world.client_a.pk
    html = form.content.decode()
    assert '<option value="Europe/London">Europe/London</option>' in html
    assert "Bravo" not in html  # the client select is limited to the scope

    response = http.post(reverse("site_create"), {**SITE_DATA, "client": world.client_a.pk})
    site = Site.unscoped.get(name="Alpha Annex")
    assert response["Location"] == reverse("site_detail", args=[site.pk])
    assert site.country == "FR"
    assert site.client == world.client_a

    detail = http.get(response["Location"]).content.decode()
    assert "Local time" in detail
    assert "Europe/Paris" in detail
    assert "1 Rue de Rivoli" in detail

    response = http.post(reverse("site_edit", args=[site.pk]), {**SITE_DATA, "city": "Lyon"})
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.city == "Lyon"
    # client IT may not delete sites
    assert http.post(reverse("site_delete", args=[site.pk])).status_code == 403


def test_site_delete_confirms_then_deletes(world, login_as):
    http = login_as(world.users["technician_a"])
    assert "Delete site" in http.get(reverse("site_delete", args=[world.site_a.pk])).content.decode()
    response = http.post(reverse("site_delete", args=[world.site_a.pk]))
    assert response.status_code == 302
    assert not Site.unscoped.filter(pk=world.site_a.pk).exists()
    assert Contact.unscoped.filter(pk=world.contact_a.pk).exists()


def test_bad_time_zone_and_duplicate_site_name(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.post(
        reverse("site_create"), {**SITE_DATA, "client": world.client_a.pk, "time_zone": "Mars/Olympus"}
    )
    assert "Select a valid choice" in errors_of(response)["time_zone"][0]
    response = http.post(
        reverse("site_create"), {**SITE_DATA, "client": world.client_a.pk, "name": "alpha main surgery"}
    )
    assert errors_of(response)["name"] == ["This client already has a site with this name."]
    # the same name at another client is fine
    response = http.post(
        reverse("site_create"), {**SITE_DATA, "client": world.client_b.pk, "name": "Alpha Main Surgery"}
    )
    assert response.status_code == 302


def test_site_cannot_be_created_for_a_client_outside_the_scope(world, login_as):
    http = login_as(world.users["client_admin_a"])
    response = http.post(reverse("site_create"), {**SITE_DATA, "client": world.client_b.pk})
    assert response.status_code == 200
    assert "client" in errors_of(response)
    assert not Site.unscoped.filter(name="Alpha Annex").exists()
    # a preselect outside the scope is ignored rather than confirmed
    html = http.get(reverse("site_create") + f"?client={world.client_b.pk}").content.decode()
    assert "Bravo" not in html


# --- contacts -------------------------------------------------------------------------

CONTACT_DATA = {
    "full_name": "Anna Alpha",
    "email": "anna@alpha.example",
    "phone": "+44 1",
    "job_title": "Office manager",
    "is_primary": "on",
    "notes": "",
}


def test_contact_crud_through_the_pages(world, login_as):
    http = login_as(world.users["client_admin_a"])
    form = http.get(reverse("contact_create") + f"?client={world.client_a.pk}")
    assert "Alpha Main Surgery" in form.content.decode()  # the client's sites are offered
    response = http.post(
        reverse("contact_create"), {**CONTACT_DATA, "client": world.client_a.pk, "site": world.site_a.pk}
    )
    contact = Contact.unscoped.get(full_name="Anna Alpha")
    assert response["Location"] == reverse("contact_detail", args=[contact.pk])
    assert contact.site == world.site_a
    assert contact.is_primary

    html = http.get(response["Location"]).content.decode()
    assert "anna@alpha.example" in html
    assert "Alpha Main Surgery" in html

    response = http.post(
        reverse("contact_edit", args=[contact.pk]), {**CONTACT_DATA, "job_title": "Director", "site": ""}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.job_title == "Director"
    assert contact.site is None

    assert http.get(reverse("contact_delete", args=[contact.pk])).status_code == 200
    assert http.post(reverse("contact_delete", args=[contact.pk])).status_code == 302
    assert not Contact.unscoped.filter(pk=contact.pk).exists()


def test_contact_site_from_another_client_is_refused(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.post(
        reverse("contact_create"), {**CONTACT_DATA, "client": world.client_a.pk, "site": world.site_b.pk}
    )
    assert response.status_code == 200
    assert errors_of(response)["site"] == ["Choose one of this client's sites."]
    assert not Contact.unscoped.filter(full_name="Anna Alpha").exists()

    response = http.post(
        reverse("contact_edit", args=[world.contact_a.pk]), {**CONTACT_DATA, "site": world.site_b.pk}
    )
    assert errors_of(response)["site"] == ["Choose one of this client's sites."]


def test_contact_site_outside_the_scope_is_not_a_valid_choice(world, login_as):
    http = login_as(world.users["client_admin_a"])
    response = http.post(
        reverse("contact_create"), {**CONTACT_DATA, "client": world.client_a.pk, "site": world.site_b.pk}
    )
    assert "Select a valid choice" in errors_of(response)["site"][0]


def test_end_user_cannot_add_contacts(world, login_as):
    http = login_as(world.users["end_user_a"])
    assert http.get(reverse("contact_create")).status_code == 403
    assert http.get(reverse("contact_list")).status_code == 403
    assert http.get(reverse("contact_detail", args=[world.contact_a.pk])).status_code == 403


def test_edits_are_audited_with_before_and_after(world, login_as):
    http = login_as(world.users["client_it_a"])
    http.post(
        reverse("site_edit", args=[world.site_a.pk]),
        {**SITE_DATA, "name": "Alpha Main Surgery", "time_zone": "Europe/Dublin"},
    )
    entry = AuditEntry.unscoped.filter(action="update", object_type="core.site").latest("seq")
    assert entry.changes["time_zone"] == ["Europe/London", "Europe/Dublin"]
    assert entry.actor_label == world.users["client_it_a"].email
    assert entry.client_id == world.client_a.pk


def test_user_rows_are_not_leaked_by_client_pages(world, login_as):
    # A technician limited to client A never sees provider staff or client B's accounts.
    html = (
        login_as(world.users["technician_a"])
        .get(reverse("client_detail", args=[world.client_a.pk]))
        .content.decode()
    )
    assert "admin@northwind.example" not in html
    assert User.unscoped.filter(email="client.admin@b.example").exists()
    assert "client.admin@b.example" not in html
