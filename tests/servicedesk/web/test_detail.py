"""A ticket's page for staff and customers, and the conversation actions on it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from steward.servicedesk.models import Attachment, CannedResponse, Reply, Ticket
from steward.servicedesk.services import conversation
from steward.servicedesk.services.conversation import Upload
from tests.servicedesk.web.conftest import INTERNAL_FILE, INTERNAL_NOTE, PNG, PUBLIC_FILE, staff_scope
from tests.tenancy.helpers import assert_csp_clean

XSS = "<script>alert(1)</script>"


def _detail(ticket) -> str:
    return reverse("ticket_detail", args=[ticket.pk])


def test_staff_page_shows_everything(world, desk, login_as):
    http = login_as(world.users["technician_a"])
    response = http.get(_detail(desk.ticket_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_clean(html)
    assert INTERNAL_NOTE in html
    assert INTERNAL_FILE in html
    assert PUBLIC_FILE in html
    assert desk.device_a.hostname in html
    assert reverse("device_detail", args=[desk.device_a.pk]) in html
    assert 'value="internal"' in html  # the public / internal toggle
    assert "message-internal" in html
    assert 'id="kb-ticket-articles"' in html  # the knowledge base's box loads itself (htmx)


@pytest.mark.parametrize("role", ["end_user_a", "client_admin_a", "client_it_a"])
def test_customers_never_see_internal_notes_or_files(world, desk, login_as, role):
    http = login_as(world.users[role])
    response = http.get(_detail(desk.ticket_a))
    assert response.status_code == 200
    assert "servicedesk/portal/detail.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert_csp_clean(html)
    assert "Please send a photo of the error." in html
    assert PUBLIC_FILE in html
    assert INTERNAL_NOTE not in html
    assert INTERNAL_FILE not in html
    assert "Internal note" not in html
    assert reverse("ticket_attachment", args=[desk.internal_file.pk]) not in html
    for staff_only in ("ticket_edit", "ticket_merge", "ticket_timer", "ticket_link", "ticket_macro"):
        assert reverse(staff_only, args=[desk.ticket_a.pk]) not in html


def test_who_can_open_which_ticket(world, desk, login_as):
    assert login_as(world.users["end_user_a"]).get(_detail(desk.ticket_a_other)).status_code == 404
    assert login_as(world.users["client_it_a"]).get(_detail(desk.ticket_a_other)).status_code == 200
    for role in ("end_user_b", "client_admin_b", "client_it_b"):
        response = login_as(world.users[role]).get(_detail(desk.ticket_a))
        assert response.status_code == 404
        assert "Alpha" not in response.content.decode()
    assert login_as(world.users["technician_a"]).get(_detail(desk.ticket_b)).status_code == 404
    assert (
        login_as(world.users["technician_all"]).get(reverse("ticket_detail", args=[999_999])).status_code
        == 404
    )


def test_subjects_and_bodies_are_escaped_but_sanitized_mail_html_renders(world, desk, login_as):
    scope = staff_scope(world)
    conversation.add_reply(scope, desk.ticket_a, f"Body {XSS}", notify=False)
    conversation.add_reply(
        scope,
        desk.ticket_a,
        "plain",
        body_html="<p>Hello <b>bold</b> world</p>",
        from_customer=True,
        notify=False,
    )
    Ticket.unscoped.filter(pk=desk.ticket_a.pk).update(subject=XSS, requester_name=XSS)
    for role in ("technician_all", "end_user_a"):
        html = login_as(world.users[role]).get(_detail(desk.ticket_a)).content.decode()
        assert XSS not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>bold</b>" in html  # stored sanitized at ingest, shown as HTML


def test_staff_public_reply_and_internal_note(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    response = http.post(
        reverse("ticket_reply", args=[desk.ticket_a_other.pk]),
        {
            "body": "Looking into it.",
            "visibility": "public",
            "status": "waiting_on_customer",
            "attachments": [SimpleUploadedFile("steps.txt", b"1. reboot", "text/plain")],
        },
    )
    assert response.status_code == 302
    ticket = Ticket.unscoped.get(pk=desk.ticket_a_other.pk)
    assert ticket.status == "waiting_on_customer"
    reply = Reply.unscoped.filter(ticket=ticket).order_by("-id").first()
    assert reply.body_text == "Looking into it." and reply.is_public and not reply.from_customer
    assert Attachment.unscoped.filter(reply=reply, filename="steps.txt").exists()

    http.post(reverse("ticket_reply", args=[ticket.pk]), {"body": "Call back at 3", "visibility": "internal"})
    note = Reply.unscoped.filter(ticket=ticket).order_by("-id").first()
    assert note.visibility == "internal"


def test_htmx_reply_answers_the_regions(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    response = http.post(
        reverse("ticket_reply", args=[desk.ticket_a.pk]),
        {"body": "Fixed the tray.", "visibility": "public"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Reply sent." in html
    for region in ("ticket-header", "ticket-conversation", "ticket-reply", "ticket-side"):
        assert f'id="{region}" hx-swap-oob="true"' in html or f'id="{region}" class' in html
    assert html.count('hx-swap-oob="true"') == 4
    assert "Fixed the tray." in html

    # A side action keeps the reply box (and whatever is typed in it) alone.
    response = http.post(
        reverse("ticket_status", args=[desk.ticket_a.pk]),
        {"status": "in_progress"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "Status set to “In progress”." in html
    assert 'id="ticket-reply"' not in html
    assert Ticket.unscoped.get(pk=desk.ticket_a.pk).status == "in_progress"


def test_reply_errors(world, desk, login_as, settings):
    settings.SERVICEDESK_MAX_ATTACHMENT_BYTES = 100
    http = login_as(world.users["technician_all"])
    url = reverse("ticket_reply", args=[desk.ticket_a.pk])
    before = Reply.unscoped.filter(ticket=desk.ticket_a).count()
    cases = [
        ({"body": "", "visibility": "public"}, "body"),
        ({"body": "x" * 100_001, "visibility": "public"}, "body"),
        ({"body": "hi", "visibility": "shouting"}, "visibility"),
        ({"body": "hi", "visibility": "public", "status": "merged"}, "status"),
        (
            {
                "body": "hi",
                "visibility": "public",
                "attachments": [SimpleUploadedFile("a.ps1", b"x", "text/plain")],
            },
            "attachments",
        ),
        (
            {
                "body": "hi",
                "visibility": "public",
                "attachments": [SimpleUploadedFile("a.pdf", b"x" * 500, "application/pdf")],
            },
            "attachments",
        ),
    ]
    for data, field in cases:
        response = http.post(url, data)
        assert response.status_code == 200
        assert field in response.context["reply_form"].errors, field
        assert "Please correct the highlighted fields." in response.content.decode()
        response = http.post(url, data, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "alert-error" in response.content.decode()
    assert Reply.unscoped.filter(ticket=desk.ticket_a).count() == before


def test_customer_reply_is_public_and_reopens(world, desk, login_as):
    scope = staff_scope(world)
    from steward.servicedesk.services import tickets

    tickets.change_status(scope, desk.ticket_a, "resolved")
    http = login_as(world.users["end_user_a"])
    response = http.post(
        reverse("ticket_reply", args=[desk.ticket_a.pk]),
        {"body": "Still jams on page 3.", "visibility": "internal", "status": "closed"},
    )
    assert response.status_code == 302
    reply = Reply.unscoped.filter(ticket=desk.ticket_a).order_by("-id").first()
    assert reply.is_public and reply.from_customer and reply.channel == "portal"
    assert Ticket.unscoped.get(pk=desk.ticket_a.pk).status == "open"
    assert (
        login_as(world.users["end_user_a"])
        .post(reverse("ticket_reply", args=[desk.ticket_a.pk]), {"body": ""})
        .status_code
        == 200
    )
    # Someone else's ticket is not there at all.
    assert (
        http.post(reverse("ticket_reply", args=[desk.ticket_a_other.pk]), {"body": "hi"}).status_code == 404
    )


def test_customer_resolves_and_reopens_only(world, desk, login_as):
    http = login_as(world.users["end_user_a"])
    url = reverse("ticket_status", args=[desk.ticket_a.pk])
    assert http.post(url, {"status": "resolved"}).status_code == 302
    assert Ticket.unscoped.get(pk=desk.ticket_a.pk).status == "resolved"
    html = http.get(_detail(desk.ticket_a)).content.decode()
    assert "Reopen" in html
    assert http.post(url, {"status": "open"}).status_code == 302
    assert Ticket.unscoped.get(pk=desk.ticket_a.pk).status == "open"
    assert http.post(url, {"status": "closed"}).status_code == 403
    assert http.post(url, {"status": "nonsense"}).status_code == 403
    assert Ticket.unscoped.get(pk=desk.ticket_a.pk).status == "open"


def test_customer_attaches_files(world, desk, login_as, settings):
    http = login_as(world.users["end_user_a"])
    url = reverse("ticket_attach", args=[desk.ticket_a.pk])
    response = http.post(url, {"attachments": [SimpleUploadedFile("more.png", PNG, "image/png")]})
    assert response.status_code == 302
    assert Attachment.unscoped.filter(ticket=desk.ticket_a, filename="more.png", reply__isnull=True).exists()
    assert "more.png" in http.get(_detail(desk.ticket_a)).content.decode()
    response = http.post(
        url, {"attachments": [SimpleUploadedFile("virus.exe", b"MZ", "application/x-msdownload")]}
    )
    assert response.status_code == 200
    assert "attachments" in response.context["attach_form"].errors
    assert http.post(url, {}).status_code == 200


def test_attachment_download(world, desk, login_as):
    http = login_as(world.users["technician_a"])
    response = http.get(reverse("ticket_attachment", args=[desk.internal_file.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"admin password hint"
    assert response["Content-Disposition"].startswith("attachment;")
    assert INTERNAL_FILE in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/plain; charset=utf-8"

    response = http.get(reverse("ticket_attachment", args=[desk.public_file.pk]))
    assert response["Content-Type"] == "image/png"

    customer = login_as(world.users["end_user_a"])
    assert customer.get(reverse("ticket_attachment", args=[desk.public_file.pk])).status_code == 200
    assert customer.get(reverse("ticket_attachment", args=[desk.internal_file.pk])).status_code == 404
    other = login_as(world.users["end_user_b"])
    assert other.get(reverse("ticket_attachment", args=[desk.public_file.pk])).status_code == 404


@pytest.mark.parametrize(
    ("filename", "declared"),
    [
        ("page.html", "text/html"),
        ("logo.svg", "image/svg+xml"),
        ("fake.png", "text/html"),
        ("photo.png", "text/html; charset=utf-8"),
        ("notes.txt", "image/png"),
    ],
)
def test_risky_types_download_as_octet_stream(world, desk, login_as, filename, declared):
    scope = staff_scope(world)
    reply = conversation.add_reply(
        scope, desk.ticket_a, "file", uploads=[Upload(filename, b"<script>x</script>", declared)]
    )
    attachment = Attachment.unscoped.get(reply=reply)
    response = login_as(world.users["technician_all"]).get(reverse("ticket_attachment", args=[attachment.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_missing_blob_is_a_404(world, desk, login_as):
    Attachment.unscoped.filter(pk=desk.public_file.pk).update(sha256="0" * 64)
    response = login_as(world.users["technician_all"]).get(
        reverse("ticket_attachment", args=[desk.public_file.pk])
    )
    assert response.status_code == 404


def test_canned_responses(world, desk, login_as):
    canned = CannedResponse.objects.create(
        provider=world.provider, title="Greeting", body="Hello {requester}, about {ticket}: {subject}. {me}"
    )
    bravo_only = CannedResponse.objects.create(
        provider=world.provider, client=world.client_b, title="Bravo only", body="x"
    )
    http = login_as(world.users["technician_all"])
    html = http.get(_detail(desk.ticket_a)).content.decode()
    assert "Greeting" in html and "Bravo only" not in html
    response = http.get(reverse("ticket_canned", args=[desk.ticket_a.pk]), {"canned": canned.pk})
    assert response.status_code == 200
    text = response.content.decode()
    assert text == f"Hello End User, about T-{desk.ticket_a.pk}: Alpha printer jams. Tech All"
    assert response["Content-Type"].startswith("text/plain")
    assert (
        http.get(reverse("ticket_canned", args=[desk.ticket_a.pk]), {"canned": bravo_only.pk}).status_code
        == 404
    )
    assert http.get(reverse("ticket_canned", args=[desk.ticket_a.pk]), {"canned": "x"}).status_code == 404
    # Without JavaScript the picker reloads the page with the text in the reply box.
    html = http.get(_detail(desk.ticket_a), {"canned": canned.pk}).content.decode()
    assert f"Hello End User, about T-{desk.ticket_a.pk}" in html
    customer = login_as(world.users["end_user_a"])
    assert (
        customer.get(reverse("ticket_canned", args=[desk.ticket_a.pk]), {"canned": canned.pk}).status_code
        == 403
    )


def test_watch_and_unwatch(world, desk, login_as):
    http = login_as(world.users["technician_all"])
    url = reverse("ticket_watch", args=[desk.ticket_a.pk])
    http.post(url, {"on": "1"})
    assert desk.ticket_a.watchers.filter(pk=world.users["technician_all"].pk).exists()
    http.post(url, {"on": "0"})
    assert not desk.ticket_a.watchers.exists()
    # A client admin follows a colleague's ticket.
    admin = login_as(world.users["client_admin_a"])
    admin.post(reverse("ticket_watch", args=[desk.ticket_a_other.pk]), {"on": "1"})
    assert desk.ticket_a_other.watchers.filter(pk=world.users["client_admin_a"].pk).exists()
    # An end user who stops following a ticket they only followed is sent back to the list.
    desk.ticket_a_other.watchers.add(world.users["end_user_a"])
    user = login_as(world.users["end_user_a"])
    response = user.post(reverse("ticket_watch", args=[desk.ticket_a_other.pk]), {"on": "0"})
    assert response["Location"] == reverse("ticket_list")


def test_staff_only_actions_refuse_customers(world, desk, login_as):
    http = login_as(world.users["client_admin_a"])
    pk = desk.ticket_a.pk
    for name, data in [
        ("ticket_edit", {"subject": "x"}),
        ("ticket_assign", {"assignee": "me"}),
        ("ticket_link", {"target": desk.ticket_a_other.pk, "kind": "relates"}),
        ("ticket_unlink", {"relation": 1}),
        ("ticket_parent", {"parent": desk.ticket_a_other.pk}),
        ("ticket_merge", {"target": desk.ticket_a_other.pk, "confirm": "1"}),
        ("ticket_split", {"replies": [1]}),
        ("ticket_macro", {"macro": 1}),
        ("ticket_timer", {"action": "start"}),
        ("ticket_time_add", {"minutes": "5"}),
        ("ticket_time_delete", {"entry": 1}),
    ]:
        assert http.post(reverse(name, args=[pk]), data).status_code == 403, name
        assert http.get(reverse("ticket_edit", args=[pk])).status_code == 403
    assert Ticket.unscoped.get(pk=pk).status != "merged"
