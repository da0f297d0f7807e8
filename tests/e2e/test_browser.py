"""End to end in a real browser: MFA sign-in, creating a client and a site, tenant isolation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from steward.core.models import Client, MfaDevice, Site
from steward.core.services import security
from tests.conftest import PASSWORD

NEW_CLIENT = "Charlie Veterinary Group"
NEW_SITE = "Charlie Night Clinic"


def enrol(user: Any) -> MfaDevice:
    device = security.begin_mfa_enrolment(user)
    assert security.confirm_mfa_enrolment(user, security.totp_for(device).now()) is not None
    MfaDevice.objects.filter(pk=device.pk).update(last_used_step=0)  # let the test use the current code
    return device


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.e2e
def test_mfa_sign_in_create_client_and_site_then_other_tenant_sees_nothing(
    live_server: Any, world: Any, browser: Any, screenshot_on_failure: list[Any]
) -> None:
    base = live_server.url
    admin = world.users["provider_admin"]
    device = enrol(admin)

    # The provider admin signs in: password, then the authenticator code.
    admin_context = browser.new_context()
    page = admin_context.new_page()
    screenshot_on_failure.append(page)
    sign_in(page, base, admin.email)
    page.wait_for_url(re.compile(r"/login/verify/$"))
    page.get_by_label("Authentication code").fill(security.totp_for(device).at(timezone.now()))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))

    # A new client through the UI form.
    page.goto(f"{base}/clients/new/")
    page.locator("input[name=name]").fill(NEW_CLIENT)
    page.locator("input[name=short_code]").fill("CHARLIE")
    page.locator("select[name=status]").select_option("active")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/clients/\d+/$"))
    client = Client.unscoped.get(name=NEW_CLIENT)
    assert page.url.endswith(f"/clients/{client.pk}/")
    assert NEW_CLIENT in page.content()

    # A site of that client.
    page.goto(f"{base}/sites/new/")
    page.locator("select[name=client]").select_option(label=NEW_CLIENT)
    page.locator("input[name=name]").fill(NEW_SITE)
    page.locator("select[name=time_zone]").select_option("Europe/Berlin")
    page.locator("input[name=city]").fill("Berlin")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/sites/\d+/$"))
    site = Site.unscoped.get(name=NEW_SITE)
    assert site.client_id == client.pk
    assert site.time_zone == "Europe/Berlin"
    assert page.url.endswith(f"/sites/{site.pk}/")

    # A client admin of another client, in a fresh browser context, sees none of it.
    other_context = browser.new_context()
    other = other_context.new_page()
    screenshot_on_failure.append(other)
    sign_in(other, base, world.users["client_admin_a"].email)
    other.wait_for_url(re.compile(r"/portal/$"))
    for listing in ("/clients/", "/sites/", "/portal/"):
        response = other.goto(f"{base}{listing}")
        assert response is not None
        assert response.status in (200, 403), f"{listing} answered {response.status}"
        html = other.content()
        assert NEW_CLIENT not in html, f"{listing} shows the other client"
        assert NEW_SITE not in html, f"{listing} shows the other client's site"
    for detail in (f"/sites/{site.pk}/", f"/clients/{client.pk}/"):
        response = other.goto(f"{base}{detail}")
        assert response is not None
        assert response.status == 404, f"{detail} answered {response.status}"
        assert NEW_SITE not in other.content()
        assert NEW_CLIENT not in other.content()
    # The site list of the other client admin still works and shows their own site.
    other.goto(f"{base}/sites/")
    assert world.site_a.name in other.content()

    admin_context.close()
    other_context.close()
