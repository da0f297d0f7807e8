"""Opening tickets: the staff form (client-dependent choices, files) and the portal form."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from steward.servicedesk.models import Attachment, Reply, Ticket
from tests.servicedesk.web.conftest import PNG
from tests.tenancy.helpers import assert_csp_clean, errors_of


def _staff_data(world, **extra):
    data = {
        "client": world.client_a.pk,
        "subject": "Phone: Outlook crashes",
        "body": "Outlook closes when opening the shared calendar.",
        "ticket_type": "incident",
        "impact": "medium",
        "urgency": "high",
    }
    data.update(extra)
    return data


def test_staff_form_renders_and_follows_the_client(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    response = http.get(reverse("ticket_create"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_clean(html)
    assert world.site_a.name not in html  # no client chosen yet: no sites offered
    assert "data-priority-preview" in html

    # Choosing the client (htmx) reloads its sites, people and devices.
    response = http.get(
        reverse("ticket_create"), {"client": world.client_a.pk}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert world.site_a.name in html
    assert desk.device_a.hostname in html
    assert world.users["end_user_a"].email in html
    assert world.contact_a.full_name in html
    assert world.site_b.name not in html
    assert desk.device_b.hostname not in html

    # A technician limited to client A cannot even name client B.
    http = login_as(world.users["technician_a"])
    html = http.get(reverse("ticket_create"), {"client": world.client_b.pk}).content.decode()
    assert world.client_b.name not in html
    assert world.site_b.name not in html


def test_staff_opens_a_ticket_with_everything(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    end_user = world.users["end_user_a"]
    files = [
        SimpleUploadedFile("error.png", PNG, content_type="image/png"),
        SimpleUploadedFile("log.txt", b"line 1\nline 2\n", content_type="text/plain"),
    ]
    response = http.post(
        reverse("ticket_create"),
        _staff_data(
            world,
            site=world.site_a.pk,
            requester=f"user:{end_user.pk}",
            devices=[desk.device_a.pk],
            tags="outlook, VIP",
            cc_emails="boss@alpha.example; it@alpha.example",
            queue=desk.queue.pk,
            team=desk.team.pk,
            assignee=world.users["technician_a"].pk,
            attachments=files,
        ),
    )
    ticket = Ticket.unscoped.get(subject="Phone: Outlook crashes")
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[ticket.pk])
    assert ticket.client_id == world.client_a.pk
    assert ticket.site_id == world.site_a.pk
    assert ticket.requester_user_id == end_user.pk
    assert ticket.requester_email == end_user.email
    assert ticket.priority == "p2"  # medium impact and high urgency
    assert ticket.team_id == desk.team.pk
    assert ticket.assignee_id == world.users["technician_a"].pk
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["VIP", "outlook"]
    assert list(ticket.devices.values_list("pk", flat=True)) == [desk.device_a.pk]
    assert ticket.cc_emails == ["boss@alpha.example", "it@alpha.example"]
    first = Reply.unscoped.filter(ticket=ticket).order_by("id").first()
    assert sorted(Attachment.unscoped.filter(reply=first).values_list("filename", flat=True)) == [
        "error.png",
        "log.txt",
    ]
    # The end user now finds it in the portal.
    portal = login_as(end_user)
    assert "Phone: Outlook crashes" in portal.get(reverse("ticket_list")).content.decode()


def test_requester_by_email_finds_the_portal_user_and_the_override_wins(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    response = http.post(
        reverse("ticket_create"),
        _staff_data(world, requester_email=world.users["client_it_a"].email.upper(), priority="p4"),
    )
    assert response.status_code == 302
    ticket = Ticket.unscoped.get(subject="Phone: Outlook crashes")
    assert ticket.requester_user_id == world.users["client_it_a"].pk
    assert ticket.priority == "p4"

    http.post(
        reverse("ticket_create"),
        _staff_data(world, subject="By contact", requester=f"contact:{world.contact_a.pk}"),
    )
    ticket = Ticket.unscoped.get(subject="By contact")
    assert ticket.requester_contact_id == world.contact_a.pk
    assert ticket.requester_email == world.contact_a.email


def test_staff_form_errors_never_500(world, desk, login_as, settings):
    settings.SERVICEDESK_MAX_ATTACHMENT_BYTES = 1000
    http = login_as(world.users["technician_a"])
    cases = [
        (_staff_data(world, subject="x" * 256), "subject"),
        (_staff_data(world, subject=""), "subject"),
        (_staff_data(world, body=""), "body"),
        (_staff_data(world, client=world.client_b.pk), "client"),  # outside the scope
        (_staff_data(world, client="abc"), "client"),
        (_staff_data(world, impact="huge"), "impact"),
        (_staff_data(world, ticket_type="holiday"), "ticket_type"),
        (_staff_data(world, priority="p9"), "priority"),
        (_staff_data(world, site=world.site_b.pk), "site"),
        (_staff_data(world, devices=[desk.device_b.pk]), "devices"),
        (_staff_data(world, devices=["abc"]), "devices"),
        (_staff_data(world, assignee=world.users["end_user_a"].pk), "assignee"),
        (_staff_data(world, queue=999_999), "queue"),
        (_staff_data(world, requester=f"user:{world.users['end_user_b'].pk}"), "requester"),
        (_staff_data(world, requester="contact:nonsense"), "requester"),
        (_staff_data(world, requester_email="not-an-address"), "requester_email"),
        (_staff_data(world, cc_emails="ok@alpha.example, broken"), "cc_emails"),
        (_staff_data(world, tags=",".join(f"t{n}" for n in range(25))), "tags"),
        (
            _staff_data(
                world, attachments=[SimpleUploadedFile("setup.exe", b"MZ", "application/octet-stream")]
            ),
            "attachments",
        ),
        (
            _staff_data(world, attachments=[SimpleUploadedFile("big.pdf", b"x" * 2000, "application/pdf")]),
            "attachments",
        ),
    ]
    for data, field in cases:
        response = http.post(reverse("ticket_create"), data)
        assert response.status_code == 200, field
        assert field in errors_of(response), (field, errors_of(response))
        html = response.content.decode()
        assert "Please correct the highlighted fields" in html or "errorlist" in html
        assert world.client_b.name not in html
    assert not Ticket.unscoped.filter(subject__startswith="Phone").exists()
    assert not Ticket.unscoped.filter(client=world.client_b, subject__contains="Outlook").exists()


def test_portal_form_in_plain_words(world, desk, login_as):
    http = login_as(world.users["end_user_a"])
    response = http.get(reverse("ticket_create"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_clean(html)
    assert "How many people are affected?" in html
    assert "How urgent is it?" in html
    assert desk.device_a.hostname in html
    assert desk.device_b.hostname not in html
    assert "Priority override" not in html and "Queue" not in html

    response = http.post(
        reverse("ticket_create"),
        {
            "subject": "Laptop will not start",
            "body": "Black screen since this morning.",
            "ticket_type": "incident",
            "impact": "low",
            "urgency": "high",
            "devices": [desk.device_a.pk],
            "attachments": [SimpleUploadedFile("photo.png", PNG, content_type="image/png")],
            # Staff-only fields are ignored, whatever a crafted form says.
            "priority": "p1",
            "assignee": world.users["technician_all"].pk,
            "client": world.client_b.pk,
        },
    )
    ticket = Ticket.unscoped.get(subject="Laptop will not start")
    assert response.status_code == 302
    assert ticket.client_id == world.client_a.pk
    assert ticket.requester_user_id == world.users["end_user_a"].pk
    assert ticket.channel == "portal"
    assert ticket.priority == "p3"  # low impact and high urgency, from the matrix
    assert ticket.assignee_id is None
    assert Attachment.unscoped.filter(ticket=ticket, filename="photo.png").exists()


def test_portal_form_errors(world, desk, login_as):
    http = login_as(world.users["client_admin_a"])
    base = {"subject": "Help", "body": "Please", "ticket_type": "incident", "impact": "low", "urgency": "low"}
    cases = [
        ({**base, "ticket_type": "problem"}, "ticket_type"),
        ({**base, "ticket_type": "change"}, "ticket_type"),
        ({**base, "impact": "everyone"}, "impact"),
        ({**base, "devices": [desk.device_b.pk]}, "devices"),
        ({**base, "subject": "s" * 300}, "subject"),
        ({**base, "attachments": [SimpleUploadedFile("run.bat", b"@echo off", "text/plain")]}, "attachments"),
    ]
    for data, field in cases:
        response = http.post(reverse("ticket_create"), data)
        assert response.status_code == 200
        assert field in errors_of(response), field
    assert not Ticket.unscoped.filter(subject="Help").exists()
