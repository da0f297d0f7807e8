"""POST /tickets (JSON and multipart), GET/PATCH /tickets/{id}, POST /tickets/{id}/status."""

from __future__ import annotations

import pytest

from steward.core.models import Contact
from steward.devices.models import Device
from steward.servicedesk.models import Attachment, Queue, Reply, Team, Ticket, TicketEvent
from tests.servicedesk.api.conftest import error_fields, upload

pytestmark = pytest.mark.django_db


def test_staff_opens_a_ticket_with_every_field(world, api_as):
    team = Team.objects.create(provider=world.provider, name="Level 2")
    queue = Queue.objects.create(provider=world.provider, name="Projects")
    device = Device.unscoped.create(client=world.client_a, hostname="ALPHA-PC-1")
    response = api_as("technician_a").post(
        "/tickets",
        {
            "subject": "  Server room too warm  ",
            "body": "The air conditioning failed.",
            "client_id": world.client_a.pk,
            "site_id": world.site_a.pk,
            "ticket_type": "incident",
            "impact": "high",
            "urgency": "high",
            "channel": "phone",
            "queue_id": queue.pk,
            "team_id": team.pk,
            "assignee_id": world.users["technician_a"].pk,
            "requester_contact_id": world.contact_a.pk,
            "cc_emails": ["boss@alpha.example"],
            "device_ids": [device.pk],
            "tags": ["hardware", "Hardware", "facilities"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == f"T-{body['id']}"
    assert body["subject"] == "Server room too warm"
    assert body["priority"] == "p1"  # high impact x high urgency
    assert body["channel"] == "phone"
    assert (body["queue_id"], body["team_id"]) == (queue.pk, team.pk)
    assert body["assignee_name"] == world.users["technician_a"].full_name
    assert body["requester_contact_id"] == world.contact_a.pk
    assert body["requester_email"] == world.contact_a.email
    assert body["requester_name"] == world.contact_a.full_name
    assert body["site_name"] == world.site_a.name
    assert body["client_name"] == world.client_a.name
    assert body["cc_emails"] == ["boss@alpha.example"]
    assert body["device_ids"] == [device.pk]
    assert body["tags"] == ["facilities", "hardware"]
    ticket = Ticket.unscoped.get(pk=body["id"])
    assert Reply.unscoped.get(ticket=ticket).body_text == "The air conditioning failed."
    assert TicketEvent.unscoped.filter(ticket=ticket, kind="created").count() == 1


def test_staff_must_name_the_client(world, api_as):
    response = api_as("technician_all").post("/tickets", {"subject": "No client", "body": "x"})
    assert response.status_code == 422
    assert "client_id" in error_fields(response)
    assert not Ticket.unscoped.exists()


def test_token_tickets_come_from_the_api_channel(world, api_as):
    response = api_as("client_admin_a").post("/tickets", {"subject": "Via script", "body": "x"})
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "api"
    assert response.json()["client_id"] == world.client_a.pk


def test_end_user_opens_a_ticket_for_themselves(world, session_as):
    response = session_as("end_user_a").post(
        "/tickets", {"subject": "Mouse broken", "body": "Left button.", "ticket_type": "service_request"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client_id"] == world.client_a.pk
    assert body["channel"] == "portal"
    assert body["requester_user_id"] == world.users["end_user_a"].pk
    assert body["priority"] == "p3"


@pytest.mark.parametrize(
    "extra",
    [
        {"priority": "p1"},
        {"assignee_id": 1},
        {"queue_id": 1},
        {"tags": ["vip"]},
        {"channel": "phone"},
        {"requester_email": "someone@else.example"},
    ],
)
def test_customers_cannot_set_staff_fields(world, session_as, api_as, extra):
    for api in (session_as("end_user_a"), api_as("client_admin_a")):
        response = api.post("/tickets", {"subject": "Please", "body": "x", **extra})
        assert response.status_code == 403, response.content
        assert next(iter(extra)) in response.json()["detail"]
    assert not Ticket.unscoped.exists()


def test_customers_cannot_open_for_another_client_or_as_staff_work(world, api_as):
    api = api_as("client_admin_a")
    response = api.post("/tickets", {"subject": "Sneaky", "body": "x", "client_id": world.client_b.pk})
    assert response.status_code == 422
    assert error_fields(response) == {"client_id": "Unknown client."}
    response = api.post("/tickets", {"subject": "Change", "body": "x", "ticket_type": "change"})
    assert response.status_code == 422
    assert "ticket_type" in error_fields(response)
    own = api.post("/tickets", {"subject": "Own", "body": "x", "client_id": world.client_a.pk})
    assert own.status_code == 201
    assert Ticket.unscoped.count() == 1


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"subject": "s" * 256, "body": "x"}, "subject", "at most 255"),
        ({"subject": "   ", "body": "x"}, "subject", "at least 1"),
        ({"body": "x"}, "subject", "required"),
        ({"subject": "x"}, "body", "required"),
        ({"subject": "x", "body": ""}, "body", "at least 1"),
        ({"subject": "x", "body": "b" * 100_001}, "body", "at most 100000"),
        ({"subject": 5, "body": "x"}, "subject", "valid string"),
        ({"subject": ["x"], "body": "x"}, "subject", "valid string"),
        ({"subject": "nul\x00", "body": "x"}, "subject", "NUL"),
        ({"subject": "x", "body": "x", "client_id": "1"}, "client_id", "valid integer"),
        ({"subject": "x", "body": "x", "client_id": 2**64}, "client_id", "less than or equal"),
        ({"subject": "x", "body": "x", "ticket_type": "rant"}, "ticket_type", "'incident'"),
        ({"subject": "x", "body": "x", "impact": "huge"}, "impact", "'high'"),
        ({"subject": "x", "body": "x", "priority": "p0"}, "priority", "'p1'"),
        ({"subject": "x", "body": "x", "cc_emails": ["not-an-address"]}, "cc_emails.0", "e-mail"),
        ({"subject": "x", "body": "x", "cc_emails": ["a@b.example"] * 51}, "cc_emails", "at most 50"),
        ({"subject": "x", "body": "x", "tags": ["t" * 51]}, "tags.0", "at most 50"),
        ({"subject": "x", "body": "x", "tags": [f"t{i}" for i in range(21)]}, "tags", "at most 20"),
        ({"subject": "x", "body": "x", "status": "open"}, "status", "Unknown field"),
        ({"subject": "x", "body": "x", "id": 7}, "id", "Unknown field"),
    ],
)
def test_bad_ticket_input_is_422(world, api_as, payload, field, fragment):
    payload = {"client_id": world.client_a.pk, **payload} if "client_id" not in payload else payload
    response = api_as("technician_all").post("/tickets", payload)
    assert response.status_code == 422, response.content
    fields = error_fields(response)
    assert field in fields, fields
    assert fragment in fields[field]
    assert not Ticket.unscoped.exists()


def test_rows_of_another_client_or_provider_are_422(world, api_as):
    api = api_as("technician_a")
    base = {"subject": "x", "body": "x", "client_id": world.client_a.pk}
    other_contact = Contact.unscoped.create(client=world.client_b, full_name="Bo", email="bo@b.example")
    for extra, field in [
        ({"site_id": world.site_b.pk}, "site_id"),
        ({"queue_id": 999_999}, "queue_id"),
        ({"team_id": 999_999}, "team_id"),
        ({"assignee_id": world.users["client_admin_a"].pk}, "assignee_id"),
        ({"requester_contact_id": other_contact.pk}, "requester_contact_id"),
        ({"requester_user_id": world.users["end_user_b"].pk}, "requester_user_id"),
        ({"device_ids": [999_999]}, "device_ids"),
        ({"client_id": world.client_b.pk}, "client_id"),
    ]:
        response = api.post("/tickets", {**base, **extra})
        assert response.status_code == 422, (extra, response.content)
        assert field in error_fields(response), (extra, response.json())
    assert not Ticket.unscoped.exists()


@pytest.mark.parametrize("raw", ["", "[]", '"text"', "null", "{bad json", "\xff"])
def test_empty_or_malformed_bodies(world, api_as, raw):
    response = api_as("provider_admin").post("/tickets", raw=raw)
    assert response.status_code in {400, 422}, response.content
    assert response.json()["detail"]
    assert not Ticket.unscoped.exists()


def test_malformed_json_is_400_and_a_non_object_is_422(world, api_as):
    api = api_as("provider_admin")
    assert api.post("/tickets", raw="{bad").json() == {"detail": "The request body is not valid JSON."}
    response = api.post("/tickets", raw="[1]")
    assert response.status_code == 422
    assert "JSON object" in response.json()["detail"]


def test_open_with_files(world, session_as):
    api = session_as("end_user_a")
    response = upload(
        api,
        "/tickets",
        payload={"subject": "Screen flickers", "body": "Photo attached."},
        files=[("photo.jpg", b"\xff\xd8jpeg"), ("notes.txt", b"it flickers")],
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.unscoped.get(pk=response.json()["id"])
    first = Reply.unscoped.get(ticket=ticket)
    assert sorted(a.filename for a in Attachment.unscoped.filter(ticket=ticket, reply=first)) == [
        "notes.txt",
        "photo.jpg",
    ]


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ([("setup.exe", b"MZ")], ".exe files are not accepted"),
        ([("fine.txt", b"ok"), ("run.PS1", b"x")], ".ps1 files are not accepted"),
        ([("big.bin", b"x" * 101)], "over the limit of 100 bytes"),
        ([(f"f{i}.txt", b"x") for i in range(4)], "At most 3 files"),
    ],
)
def test_refused_files_open_nothing(world, api_as, settings, files, fragment):
    settings.SERVICEDESK_MAX_ATTACHMENT_BYTES = 100
    settings.SERVICEDESK_MAX_ATTACHMENTS = 3
    payload = {"subject": "Files", "body": "x", "client_id": world.client_a.pk}
    response = upload(api_as("technician_a"), "/tickets", payload=payload, files=files)
    assert response.status_code == 422, response.content
    assert fragment in error_fields(response)["files"]
    assert not Ticket.unscoped.exists()
    assert not Attachment.unscoped.exists()


def test_multipart_mistakes(world, api_as):
    api = api_as("technician_a")
    files = [("a.txt", b"a")]
    missing = upload(api, "/tickets", files=files)
    assert missing.status_code == 422
    assert "payload" in error_fields(missing)
    broken = upload(api, "/tickets", payload="{not json", files=files)
    assert broken.status_code == 400
    assert "payload" in broken.json()["detail"]
    stray = upload(api, "/tickets", payload={"subject": "x", "body": "y"}, extra={"subject": "x"})
    assert stray.status_code == 422
    assert error_fields(stray) == {"subject": "Unknown field."}
    invalid = upload(api, "/tickets", payload={"subject": "s" * 300, "body": "y"}, files=files)
    assert invalid.status_code == 422
    assert "subject" in error_fields(invalid)
    assert not Ticket.unscoped.exists()


def test_oversized_bodies_are_413(world, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = api_as("technician_a")
    response = api.post("/tickets", {"subject": "x", "body": "b" * 2000, "client_id": world.client_a.pk})
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


# ---- Detail --------------------------------------------------------------------------------


def test_detail(world, desk, api_as, session_as):
    body = api_as("client_it_a").get(f"/tickets/{desk.mine.pk}").json()
    assert body["reference"] == f"T-{desk.mine.pk}"
    assert body["requester_user_id"] == world.users["end_user_a"].pk
    assert body["links"] == []
    assert body["watcher_ids"] == []
    assert session_as("end_user_a").get(f"/tickets/{desk.mine.pk}").status_code == 200


@pytest.mark.parametrize("path_id", ["999999", "0", "-1", "abc", "T-1", "1.5", str(2**64)])
def test_unknown_ticket_ids_are_404(world, desk, api_as, path_id):
    response = api_as("provider_admin").get(f"/tickets/{path_id}")
    assert response.status_code == 404, (path_id, response.content)
    assert response.json() == {"detail": "Not found, or outside your access."}


def test_other_peoples_tickets_are_404(world, desk, api_as, session_as):
    assert session_as("end_user_a").get(f"/tickets/{desk.colleague.pk}").status_code == 404
    assert api_as("client_admin_a").get(f"/tickets/{desk.other.pk}").status_code == 404
    assert api_as("technician_a").get(f"/tickets/{desk.other.pk}").status_code == 404


# ---- Changes --------------------------------------------------------------------------------


def test_staff_patch(world, desk, api_as):
    api = api_as("technician_a")
    path = f"/tickets/{desk.mine.pk}"
    response = api.patch(
        path,
        {
            "priority": "p1",
            "status": "in_progress",
            "assignee_id": world.users["technician_a"].pk,
            "site_id": world.site_a.pk,
            "tags": ["outlook"],
            "subject": "Outlook crashes on start",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["priority"], body["status"], body["tags"]) == ("p1", "in_progress", ["outlook"])
    assert body["assignee_id"] == world.users["technician_a"].pk
    assert body["subject"] == "Outlook crashes on start"
    kinds = list(TicketEvent.unscoped.filter(ticket=desk.mine).values_list("kind", flat=True))
    assert {"priority", "status", "assigned"} <= set(kinds)

    cleared = api.patch(path, {"site_id": None, "assignee_id": None})
    assert (cleared.json()["site_id"], cleared.json()["assignee_id"]) == (None, None)
    assert api.patch(path, {}).json()["priority"] == "p1"  # nothing sent: nothing changed


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject": None}, "subject"),
        ({"priority": None}, "priority"),
        ({"status": "merged"}, "status"),
        ({"status": "gone"}, "status"),
        ({"queue_id": None}, "queue_id"),
        ({"queue_id": 999_999}, "queue_id"),
        ({"team_id": 999_999}, "team_id"),
        ({"sla_policy_id": 999_999}, "sla_policy_id"),
        ({"site_id": 0}, "site_id"),
        ({"client_id": 2}, "client_id"),
        ({"tags": "vip"}, "tags"),
    ],
)
def test_bad_patches_are_422_and_change_nothing(world, desk, api_as, payload, field):
    before = Ticket.unscoped.filter(pk=desk.mine.pk).values().get()
    response = api_as("technician_a").patch(f"/tickets/{desk.mine.pk}", payload)
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    after = Ticket.unscoped.filter(pk=desk.mine.pk).values().get()
    assert before == after


def test_customers_cannot_patch_staff_fields(world, desk, api_as, session_as):
    before = Ticket.unscoped.filter(pk=desk.mine.pk).values().get()
    for api in (session_as("end_user_a"), api_as("client_admin_a")):
        response = api.patch(f"/tickets/{desk.mine.pk}", {"priority": "p1", "status": "resolved"})
        assert response.status_code == 403
        assert "priority" in response.json()["detail"]
    assert Ticket.unscoped.filter(pk=desk.mine.pk).values().get() == before


def test_customers_resolve_and_reopen_their_ticket(world, desk, session_as):
    api = session_as("end_user_a")
    path = f"/tickets/{desk.mine.pk}"
    resolved = api.patch(path, {"status": "resolved"})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_at"] is not None
    refused = api.post(f"{path}/status", {"status": "closed"})
    assert refused.status_code == 403
    assert Ticket.unscoped.get(pk=desk.mine.pk).status == "resolved"
    reopened = api.post(f"{path}/status", {"status": "open"})
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open"
    assert reopened.json()["reopen_count"] == 1


def test_status_endpoint(world, desk, api_as):
    api = api_as("technician_a")
    path = f"/tickets/{desk.staff.pk}/status"
    response = api.post(path, {"status": "waiting_on_customer"})
    assert response.status_code == 200
    assert response.json()["status"] == "waiting_on_customer"
    for bad in ({"status": "merged"}, {"status": 3}, {}, {"status": "closed", "note": "x"}):
        response = api.post(path, bad)
        assert response.status_code == 422, (bad, response.content)
    assert Ticket.unscoped.get(pk=desk.staff.pk).status == "waiting_on_customer"
