"""Time entries on tickets, the running timer and work types (staff only)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from steward.servicedesk.models import RunningTimer, TimeEntry, WorkType
from tests.servicedesk.api.conftest import error_fields

pytestmark = pytest.mark.django_db


def test_book_list_and_delete_time(world, desk, api_as):
    api = api_as("technician_a")
    path = f"/tickets/{desk.mine.pk}/time"
    first = api.post(path, {"minutes": 30, "note": "Reinstalled Outlook"})
    assert first.status_code == 201, first.content
    assert (first.json()["billable"], first.json()["work_type_name"]) == (True, "Remote support")
    onsite = WorkType.objects.create(provider=world.provider, name="On-site", billable_by_default=False)
    assert first.json()["user_id"] == world.users["technician_a"].pk
    started = (timezone.now() - dt.timedelta(hours=3)).isoformat()
    second = api.post(path, {"minutes": 45, "work_type_id": onsite.pk, "started_at": started})
    assert second.status_code == 201, second.content
    assert (second.json()["billable"], second.json()["work_type_name"]) == (False, "On-site")

    listing = api.get(path).json()
    assert listing["count"] == 2
    assert (listing["total_minutes"], listing["billable_minutes"]) == (75, 30)
    assert [row["minutes"] for row in listing["results"]] == [30, 45]  # newest start first

    assert api.delete(f"{path}/{first.json()['id']}").status_code == 204
    assert list(TimeEntry.unscoped.values_list("minutes", flat=True)) == [45]
    assert api.delete(f"{path}/{first.json()['id']}").status_code == 404


def test_time_entries_belong_to_their_ticket(world, desk, api_as):
    api = api_as("technician_a")
    entry = api.post(f"/tickets/{desk.mine.pk}/time", {"minutes": 5}).json()
    assert api.delete(f"/tickets/{desk.staff.pk}/time/{entry['id']}").status_code == 404
    assert api_as("technician_all").delete(f"/tickets/{desk.other.pk}/time/{entry['id']}").status_code == 404
    assert TimeEntry.unscoped.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "minutes"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": 24 * 60 + 1}, "minutes"),
        ({"minutes": "30"}, "minutes"),
        ({"minutes": 30.5}, "minutes"),
        ({"minutes": 10, "work_type_id": 999_999}, "work_type_id"),
        ({"minutes": 10, "billable": "no"}, "billable"),
        ({"minutes": 10, "note": "n" * 501}, "note"),
        ({"minutes": 10, "started_at": "tomorrow"}, "started_at"),
        ({"minutes": 10, "user_id": 1}, "user_id"),
    ],
)
def test_bad_time_entries_are_422(world, desk, api_as, payload, field):
    response = api_as("technician_a").post(f"/tickets/{desk.mine.pk}/time", payload)
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert not TimeEntry.unscoped.exists()


def test_time_cannot_be_booked_in_the_future(world, desk, api_as):
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = api_as("technician_a").post(
        f"/tickets/{desk.mine.pk}/time", {"minutes": 10, "started_at": future}
    )
    assert response.status_code == 422
    assert "started_at" in error_fields(response)


def test_customers_have_no_time_routes(world, desk, api_as, session_as):
    entry = api_as("technician_a").post(f"/tickets/{desk.mine.pk}/time", {"minutes": 5}).json()
    for api in (api_as("client_admin_a"), api_as("client_it_a"), session_as("end_user_a")):
        assert api.get(f"/tickets/{desk.mine.pk}/time").status_code == 403
        assert api.post(f"/tickets/{desk.mine.pk}/time", {"minutes": 5}).status_code == 403
        assert api.delete(f"/tickets/{desk.mine.pk}/time/{entry['id']}").status_code == 403
        assert api.get("/timer").status_code == 403
        assert api.post("/timer/start", {"ticket_id": desk.mine.pk}).status_code == 403
        assert api.post("/timer/stop").status_code == 403
        assert api.get("/work-types").status_code == 403
    assert TimeEntry.unscoped.count() == 1
    assert not RunningTimer.unscoped.exists()


def test_timer(world, desk, api_as):
    api = api_as("technician_a")
    assert api.get("/timer").json() == {
        "running": False,
        "ticket_id": None,
        "reference": None,
        "started_at": None,
        "elapsed_seconds": None,
    }
    assert api.post("/timer/stop").json() == {"entry": None}  # no body, nothing running

    started = api.post("/timer/start", {"ticket_id": desk.mine.pk})
    assert started.status_code == 200, started.content
    assert started.json()["timer"]["ticket_id"] == desk.mine.pk
    assert started.json()["stopped"] is None
    RunningTimer.unscoped.update(started_at=timezone.now() - dt.timedelta(minutes=20, seconds=5))
    assert api.get("/timer").json()["elapsed_seconds"] >= 20 * 60

    switched = api.post("/timer/start", {"ticket_id": desk.staff.pk}).json()
    assert switched["timer"]["reference"] == f"T-{desk.staff.pk}"
    assert (switched["stopped"]["ticket_id"], switched["stopped"]["minutes"]) == (desk.mine.pk, 21)

    stopped = api.post("/timer/stop", {"note": "Patched", "billable": False}).json()["entry"]
    assert (stopped["ticket_id"], stopped["note"], stopped["billable"]) == (desk.staff.pk, "Patched", False)
    assert stopped["from_timer"] is True
    assert not RunningTimer.unscoped.exists()


def test_timer_refuses_tickets_out_of_reach(world, desk, api_as):
    api = api_as("technician_a")
    for ticket_id in (desk.other.pk, 999_999):
        response = api.post("/timer/start", {"ticket_id": ticket_id})
        assert response.status_code == 422
        assert error_fields(response) == {"ticket_id": "No such ticket, or outside your access."}
    for body in ({}, {"ticket_id": "1"}, {"ticket_id": desk.mine.pk, "minutes": 3}):
        assert api.post("/timer/start", body).status_code == 422
    assert api.post("/timer/stop", {"work_type_id": 999_999}).status_code == 200  # nothing running
    assert not RunningTimer.unscoped.exists()


def test_work_types(world, api_as):
    WorkType.objects.create(provider=world.provider, name="Remote support")
    WorkType.objects.create(provider=world.provider, name="Retired", is_active=False)
    rows = api_as("technician_a").get("/work-types").json()["results"]
    assert [(row["name"], row["billable_by_default"]) for row in rows] == [("Remote support", True)]
