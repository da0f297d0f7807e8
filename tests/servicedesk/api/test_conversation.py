"""Replies, internal notes and files: who sees what, uploads, downloads."""

from __future__ import annotations

import pytest

from steward.core.scoping import Scope
from steward.core.services import blobs
from steward.servicedesk.models import Attachment, Reply, Ticket
from steward.servicedesk.services import conversation
from steward.servicedesk.services.conversation import Upload
from tests.servicedesk.api.conftest import error_fields, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def noted(world, desk):
    """desk.mine with a public reply carrying a file and an internal note carrying a file."""
    staff = Scope.system(world.provider.pk)
    conversation.add_reply(
        staff,
        desk.mine,
        "Please try safe mode.",
        uploads=[Upload("steps.txt", b"1. safe mode")],
        notify=False,
    )
    conversation.add_reply(
        staff,
        desk.mine,
        "Customer is on an unlicensed copy.",
        internal=True,
        uploads=[Upload("licence-audit.csv", b"seat,licensed\n1,no")],
        notify=False,
    )
    return desk


def bodies(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["body_text"] for row in response.json()["results"]]


def test_staff_see_notes_customers_do_not(world, noted, api_as, session_as):
    path = f"/tickets/{noted.mine.pk}/replies"
    everything = ["Since this morning.", "Please try safe mode.", "Customer is on an unlicensed copy."]
    assert bodies(api_as("technician_a").get(path)) == everything
    public = everything[:2]
    for api in (api_as("client_admin_a"), api_as("client_it_a"), session_as("end_user_a")):
        response = api.get(path)
        assert bodies(response) == public
        assert "unlicensed" not in response.content.decode()
        assert "licence-audit" not in response.content.decode()
    assert bodies(api_as("technician_a").get(path, {"internal": "true"})) == everything[2:]
    assert bodies(api_as("technician_a").get(path, {"internal": "false"})) == public
    # The filter never widens a customer's view.
    assert bodies(api_as("client_admin_a").get(path, {"internal": "true"})) == []


def test_reply_shape(world, noted, api_as):
    rows = api_as("technician_a").get(f"/tickets/{noted.mine.pk}/replies").json()["results"]
    note = rows[2]
    assert note["internal"] is True
    assert note["from_customer"] is False
    assert [a["filename"] for a in note["attachments"]] == ["licence-audit.csv"]
    assert note["attachments"][0]["download_url"].endswith("/download")
    assert rows[0]["from_customer"] is True


def test_staff_reply_and_note(world, desk, api_as):
    api = api_as("technician_a")
    path = f"/tickets/{desk.mine.pk}/replies"
    reply = api.post(path, {"body": "Looking into it.", "status": "in_progress"})
    assert reply.status_code == 201, reply.content
    assert reply.json()["internal"] is False
    assert reply.json()["channel"] == "api"
    ticket = Ticket.unscoped.get(pk=desk.mine.pk)
    assert ticket.status == "in_progress"
    assert ticket.first_responded_at is not None
    note = api.post(path, {"body": "Checked the logs.", "internal": True})
    assert note.status_code == 201
    assert Reply.unscoped.get(pk=note.json()["id"]).visibility == "internal"


def test_customers_cannot_write_notes(world, desk, api_as, session_as):
    for api in (api_as("client_admin_a"), session_as("end_user_a")):
        response = api.post(f"/tickets/{desk.mine.pk}/replies", {"body": "psst", "internal": True})
        assert response.status_code == 403
    assert Reply.unscoped.filter(ticket=desk.mine).count() == 1


def test_customer_reply_reopens_a_resolved_ticket(world, desk, session_as):
    Ticket.unscoped.filter(pk=desk.mine.pk).update(status="resolved")
    response = session_as("end_user_a").post(f"/tickets/{desk.mine.pk}/replies", {"body": "Still broken."})
    assert response.status_code == 201, response.content
    assert response.json()["from_customer"] is True
    assert response.json()["channel"] == "portal"
    ticket = Ticket.unscoped.get(pk=desk.mine.pk)
    assert (ticket.status, ticket.reopen_count) == ("open", 1)


def test_customer_reply_cannot_set_staff_statuses(world, desk, session_as):
    response = session_as("end_user_a").post(
        f"/tickets/{desk.mine.pk}/replies", {"body": "Closing it myself.", "status": "closed"}
    )
    assert response.status_code == 403
    assert Reply.unscoped.filter(ticket=desk.mine).count() == 1
    assert Ticket.unscoped.get(pk=desk.mine.pk).status == "new"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "x" * 100_001}, "body"),
        ({"body": 42}, "body"),
        ({"body": "x", "internal": "yes"}, "internal"),
        ({"body": "x", "internal": 1}, "internal"),
        ({"body": "x", "status": "merged"}, "status"),
        ({"body": "x", "visibility": "public"}, "visibility"),
    ],
)
def test_bad_replies_are_422(world, desk, api_as, payload, field):
    response = api_as("technician_a").post(f"/tickets/{desk.mine.pk}/replies", payload)
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert Reply.unscoped.filter(ticket=desk.mine).count() == 1


def test_reply_with_files(world, desk, session_as):
    response = upload(
        session_as("end_user_a"),
        f"/tickets/{desk.mine.pk}/replies",
        payload={"body": "Screenshot attached."},
        files=[("error.png", b"\x89PNG")],
    )
    assert response.status_code == 201, response.content
    assert [a["filename"] for a in response.json()["attachments"]] == ["error.png"]
    assert Attachment.unscoped.get(ticket=desk.mine).reply_id == response.json()["id"]


def test_reply_with_a_refused_file_adds_nothing(world, desk, api_as, settings):
    settings.SERVICEDESK_MAX_ATTACHMENT_BYTES = 10
    api = api_as("technician_a")
    for name, content in (("tool.exe", b"MZ"), ("big.txt", b"x" * 11)):
        response = upload(
            api, f"/tickets/{desk.mine.pk}/replies", payload={"body": "x"}, files=[(name, content)]
        )
        assert response.status_code == 422, response.content
        assert "files" in error_fields(response)
    assert Reply.unscoped.filter(ticket=desk.mine).count() == 1
    assert not Attachment.unscoped.exists()


# ---- Attachments ------------------------------------------------------------------------------


def test_attachment_lists(world, noted, api_as, session_as):
    path = f"/tickets/{noted.mine.pk}/attachments"
    staff = api_as("technician_a").get(path).json()
    assert [row["filename"] for row in staff["results"]] == ["steps.txt", "licence-audit.csv"]
    assert staff["count"] == 2
    for api in (api_as("client_admin_a"), session_as("end_user_a")):
        assert [row["filename"] for row in api.get(path).json()["results"]] == ["steps.txt"]


def test_attach_files(world, desk, session_as):
    api = session_as("end_user_a")
    response = upload(
        api, f"/tickets/{desk.mine.pk}/attachments", files=[("a.txt", b"a"), ("b.pdf", b"%PDF")]
    )
    assert response.status_code == 201, response.content
    assert [row["filename"] for row in response.json()] == ["a.txt", "b.pdf"]
    stored = Attachment.unscoped.filter(ticket=desk.mine)
    assert {(a.reply_id, a.size) for a in stored} == {(None, 1), (None, 4)}
    assert blobs.read(stored.get(filename="b.pdf").sha256) == b"%PDF"


def test_attach_mistakes(world, desk, api_as, settings):
    settings.SERVICEDESK_MAX_ATTACHMENT_BYTES = 10
    settings.SERVICEDESK_MAX_ATTACHMENTS = 2
    api = api_as("technician_a")
    path = f"/tickets/{desk.mine.pk}/attachments"
    json_body = api.post(path, {"files": []})
    assert json_body.status_code == 415
    assert "multipart" in json_body.json()["detail"]
    none = upload(api, path, extra={"note": "x"})
    assert none.status_code == 422
    for files, fragment in [
        ([], "at least one"),
        ([("virus.exe", b"MZ")], ".exe"),
        ([("script.js", b"x")], ".js"),
        ([("big.bin", b"x" * 11)], "over the limit"),
        ([("a", b"1"), ("b", b"2"), ("c", b"3")], "At most 2"),
    ]:
        response = upload(api, path, files=files)
        assert response.status_code == 422, (files, response.content)
        assert fragment in error_fields(response)["files"]
    payload_part = upload(api, path, payload={"x": 1}, files=[("a.txt", b"a")])
    assert payload_part.status_code == 422
    assert not Attachment.unscoped.exists()


def test_download(world, noted, api_as):
    api = api_as("client_admin_a")
    row = api.get(f"/tickets/{noted.mine.pk}/attachments").json()["results"][0]
    response = api.http.get(row["download_url"], headers=api._headers(None))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"1. safe mode"
    assert response["Content-Disposition"] == 'attachment; filename="steps.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_download_serves_html_as_a_file_not_a_page(world, desk, api_as):
    staff = Scope.system(world.provider.pk)
    (stored,) = conversation.attach(
        staff, desk.mine, [Upload("page.html", b"<script>alert(1)</script>", "text/html")]
    )
    Attachment.unscoped.filter(pk=stored.pk).update(content_type="text/html; <evil>")
    api = api_as("technician_a")
    response = api.http.get(
        f"/api/v1/tickets/{desk.mine.pk}/attachments/{stored.pk}/download", headers=api._headers(None)
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_download_refusals(world, noted, api_as, session_as):
    note_file = Attachment.unscoped.get(filename="licence-audit.csv")
    public_file = Attachment.unscoped.get(filename="steps.txt")
    base = f"/tickets/{noted.mine.pk}/attachments"
    # Customers cannot fetch a note's file, even knowing its id.
    for api in (api_as("client_admin_a"), session_as("end_user_a")):
        response = api.get(f"{base}/{note_file.pk}/download")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found, or outside your access."}
    # A file of another ticket through this ticket's path: 404.
    staff = api_as("technician_a")
    assert (
        staff.get(f"/tickets/{noted.colleague.pk}/attachments/{public_file.pk}/download").status_code == 404
    )
    assert staff.get(f"{base}/999999/download").status_code == 404
    # The row exists but the bytes are gone: 404, not a 500.
    Attachment.unscoped.filter(pk=public_file.pk).update(sha256="0" * 64)
    assert staff.get(f"{base}/{public_file.pk}/download").status_code == 404
