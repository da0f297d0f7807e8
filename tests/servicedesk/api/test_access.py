"""Credentials, CSRF, and every role of client A against client B's ticket on every route."""

from __future__ import annotations

from typing import get_args

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import Client as HttpClient

from steward.core.access import REGISTRY
from steward.servicedesk import schemas
from steward.servicedesk.models import (
    Attachment,
    Channel,
    Level,
    Priority,
    Reply,
    Ticket,
    TicketRelation,
    TicketStatus,
    TicketType,
    TimeEntry,
)
from tests.api.conftest import BASE, Api
from tests.servicedesk.api.conftest import upload

pytestmark = pytest.mark.django_db

ROLES_OF_A = ["technician_a", "client_admin_a", "client_it_a", "end_user_a"]
CALLERS = [(role, "session") for role in ROLES_OF_A] + [(role, "token") for role in ROLES_OF_A[:-1]]
B_MARKERS = ["Bravo", "Depot offline", "boris@bravo.example"]


@pytest.fixture
def caller(world, api_as, session_as, request):
    role, via = request.param
    return api_as(role) if via == "token" else session_as(role)


def _routes(ticket_id: int) -> list[tuple[str, str, object]]:
    base = f"/tickets/{ticket_id}"
    return [
        ("GET", base, None),
        ("PATCH", base, {"status": "resolved"}),
        ("POST", f"{base}/status", {"status": "resolved"}),
        ("POST", f"{base}/merge", {"target_id": ticket_id}),
        ("POST", f"{base}/split", {"reply_ids": [1]}),
        ("GET", f"{base}/links", None),
        ("POST", f"{base}/links", {"target_id": ticket_id}),
        ("DELETE", f"{base}/links", {"link_id": 1}),
        ("PUT", f"{base}/parent", {"parent_id": None}),
        ("PUT", f"{base}/watchers", {"user_ids": []}),
        ("POST", f"{base}/watch", None),
        ("DELETE", f"{base}/watch", None),
        ("GET", f"{base}/replies", None),
        ("POST", f"{base}/replies", {"body": "Intruder"}),
        ("GET", f"{base}/attachments", None),
        ("GET", f"{base}/attachments/1/download", None),
        ("GET", f"{base}/events", None),
        ("GET", f"{base}/sla", None),
        ("GET", f"{base}/time", None),
        ("POST", f"{base}/time", {"minutes": 5}),
        ("DELETE", f"{base}/time/1", None),
        ("POST", f"{base}/macros/1/apply", None),
    ]


@pytest.mark.parametrize("caller", CALLERS, indirect=True, ids=lambda c: f"{c[0]}-{c[1]}")
def test_client_bs_ticket_is_404_everywhere(world, desk, caller):
    before = Ticket.unscoped.filter(pk=desk.other.pk).values().get()
    for method, path, body in _routes(desk.other.pk):
        response = caller.send(method, path, body)
        assert response.status_code == 404, (method, path, response.status_code, response.content)
        assert response.json() == {"detail": "Not found, or outside your access."}
    multipart = upload(caller, f"/tickets/{desk.other.pk}/attachments", files=[("x.txt", b"x")])
    assert multipart.status_code == 404
    assert Ticket.unscoped.filter(pk=desk.other.pk).values().get() == before
    assert Reply.unscoped.filter(ticket=desk.other).count() == 1
    assert not Attachment.unscoped.exists()
    assert not TimeEntry.unscoped.exists()
    assert not desk.other.watchers.exists()


@pytest.mark.parametrize("caller", CALLERS, indirect=True, ids=lambda c: f"{c[0]}-{c[1]}")
def test_lists_never_show_client_b(world, desk, caller):
    for path in ("/tickets", "/canned-responses", "/macros", "/ticket-views", "/csat/summary", "/timer"):
        for params in ({}, {"client_id": world.client_b.pk}, {"q": "bravo"}, {"limit": 500}):
            response = caller.get(path, params)
            assert response.status_code in {200, 403}, (path, params, response.content)
            text = response.content.decode()
            assert not any(marker in text for marker in B_MARKERS), (path, params)


@pytest.mark.parametrize("caller", CALLERS, indirect=True, ids=lambda c: f"{c[0]}-{c[1]}")
def test_bodies_naming_client_bs_ticket_change_nothing(world, desk, caller):
    mine = desk.mine.pk
    for method, path, body in [
        ("POST", f"/tickets/{mine}/merge", {"target_id": desk.other.pk}),
        ("POST", f"/tickets/{mine}/links", {"target_id": desk.other.pk}),
        ("PUT", f"/tickets/{mine}/parent", {"parent_id": desk.other.pk}),
        ("POST", "/timer/start", {"ticket_id": desk.other.pk}),
        ("POST", "/tickets", {"subject": "x", "body": "x", "client_id": world.client_b.pk}),
        ("PATCH", f"/tickets/{mine}", {"site_id": world.site_b.pk}),
    ]:
        response = caller.send(method, path, body)
        assert response.status_code in {403, 404, 422}, (method, path, response.content)
        assert not any(marker in response.content.decode() for marker in B_MARKERS)
    assert Ticket.unscoped.filter(pk=desk.other.pk).values_list("status", flat=True).get() == "new"
    assert Ticket.unscoped.filter(client=world.client_b).count() == 1
    assert not TicketRelation.unscoped.exists()
    assert Ticket.unscoped.get(pk=mine).parent_id is None


def test_no_credentials_is_401(world, desk):
    anonymous = Api()
    for method, path, body in [*_routes(desk.mine.pk), ("GET", "/tickets", None), ("POST", "/tickets", {})]:
        response = anonymous.send(method, path, body)
        assert response.status_code == 401, (method, path)
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert upload(anonymous, "/tickets", payload={"subject": "x", "body": "y"}).status_code == 401
    assert not Ticket.unscoped.filter(subject="x").exists()


def test_bad_token_is_401_even_with_a_session(world, desk, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.get(f"{BASE}/tickets", headers={"Authorization": "Bearer stw_deadbeef_nope"})
    assert response.status_code == 401


def test_a_narrowed_token_acts_with_its_own_role(world, desk, api_as):
    # A client admin's token with the end-user role sees only its owner's own tickets.
    narrowed = api_as("client_admin_a", role="end_user")
    assert narrowed.get("/tickets").json()["count"] == 0
    assert narrowed.get(f"/tickets/{desk.mine.pk}").status_code == 404


def test_session_writes_need_the_csrf_token(world, desk):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(world.users["end_user_a"], backend="steward.core.auth.EmailBackend")
    assert http.get(f"{BASE}/tickets/{desk.mine.pk}").status_code == 200
    json_body = '{"body": "No CSRF"}'
    refused = http.post(f"{BASE}/tickets/{desk.mine.pk}/replies", json_body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    refused_upload = upload(Api(http=http), f"/tickets/{desk.mine.pk}/attachments", files=[("a.txt", b"a")])
    assert refused_upload.status_code == 403
    assert Reply.unscoped.filter(ticket=desk.mine).count() == 1
    assert not Attachment.unscoped.exists()

    secret = _get_new_csrf_string()
    http.cookies[settings.CSRF_COOKIE_NAME] = secret
    headers = {"X-CSRFToken": _mask_cipher_secret(secret)}
    accepted = http.post(
        f"{BASE}/tickets/{desk.mine.pk}/replies", json_body, content_type="application/json", headers=headers
    )
    assert accepted.status_code == 201, accepted.content
    response = http.post(
        f"{BASE}/tickets/{desk.mine.pk}/attachments",
        {"files": [SimpleUploadedFile("a.txt", b"a")]},
        headers=headers,
    )
    assert response.status_code == 201, response.content


def test_every_route_is_declared_for_the_harness():
    names = [
        "ticket_list",
        "ticket_create",
        "ticket_detail",
        "ticket_status",
        "ticket_merge",
        "ticket_split",
        "ticket_links",
        "ticket_parent",
        "ticket_watchers",
        "ticket_watch",
        "ticket_replies",
        "ticket_attachments",
        "ticket_attachment_download",
        "ticket_events",
        "ticket_sla",
        "ticket_time",
        "ticket_time_entry",
        "ticket_macro_apply",
        "timer_detail",
        "timer_start",
        "timer_stop",
        "work_type_list",
        "canned_response_list",
        "canned_response_render",
        "macro_list",
        "ticket_view_list",
        "ticket_view_create",
        "csat_summary",
    ]
    for name in names:
        assert f"api:{name}" in REGISTRY, name
    assert REGISTRY["api:ticket_detail"].model == "servicedesk.ticket"
    assert set(REGISTRY["api:ticket_links"].methods) == {"GET", "POST", "DELETE"}
    assert REGISTRY["api:timer_start"].kind == "provider"


def test_openapi_documents_the_service_desk(world):
    doc = Api().get("/openapi.json").json()
    paths = doc["paths"]
    create = paths[f"{BASE}/tickets"]["post"]
    assert create["operationId"] == "createTicket"
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    properties = create["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert properties["subject"]["maxLength"] == 255
    statuses = {p["name"]: p for p in paths[f"{BASE}/tickets"]["get"]["parameters"]}["status"]
    assert "done" in statuses["schema"]["items"]["enum"]
    download = paths[f"{BASE}/tickets/{{ticket_id}}/attachments/{{attachment_id}}/download"]["get"]
    assert "application/octet-stream" in download["responses"]["200"]["content"]


@pytest.mark.parametrize(
    ("literal", "choices"),
    [
        (schemas.TicketStatusName, TicketStatus),
        (schemas.PriorityName, Priority),
        (schemas.TicketTypeName, TicketType),
        (schemas.LevelName, Level),
        (schemas.ChannelName, Channel),
        (schemas.LinkKind, TicketRelation.Kind),
    ],
)
def test_api_enums_match_the_models(literal, choices):
    assert set(get_args(literal)) == set(choices.values)


def test_settable_statuses_are_all_but_merged():
    assert set(get_args(schemas.SettableStatus)) == set(TicketStatus.values) - {"merged"}
