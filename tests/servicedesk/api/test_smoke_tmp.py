import json
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
pytestmark = pytest.mark.django_db

def test_smoke(world, desk, api_as, session_as):
    api = api_as("provider_admin")
    r = api.http.post("/api/v1/tickets", {"payload": json.dumps({"subject": "With file", "body": "see", "client_id": world.client_a.pk}), "files": [SimpleUploadedFile("a.txt", b"hello", "text/plain"), SimpleUploadedFile("b.pdf", b"%PDF", "application/pdf")]}, headers={"Authorization": f"Bearer {api.token}"})
    print(r.status_code, r.content[:300])
    tid = r.json()["id"]
    r = api.get(f"/tickets/{tid}/attachments"); print(r.status_code, r.json())
    url = r.json()["results"][0]["download_url"]
    r = api.http.get(url, headers={"Authorization": f"Bearer {api.token}"}); print(r.status_code, dict(r.headers), b"".join(r.streaming_content))
    r = api.get(f"/tickets/{tid}/replies"); print(r.status_code, json.dumps(r.json())[:800])
    r = api.patch(f"/tickets/{tid}", {"priority": "p1", "status": "in_progress", "tags": ["a", "b"]}); print(r.status_code, json.dumps(r.json())[:300])
    r = api.post(f"/tickets/{tid}/replies", {"body": "note", "internal": True}); print(r.status_code, r.content[:300])
    eu = session_as("end_user_a")
    r = eu.patch(f"/tickets/{desk.mine.pk}", {"priority": "p1"}); print(r.status_code, r.content[:300])
    r = eu.patch(f"/tickets/{desk.mine.pk}", {"status": "resolved"}); print(r.status_code, r.json()["status"])
    r = eu.patch(f"/tickets/{desk.mine.pk}", {"status": "closed"}); print(r.status_code, r.content[:300])
    r = api.get(f"/tickets/{tid}/events"); print(r.status_code, json.dumps(r.json())[:500])
    r = api.get(f"/tickets/{tid}/sla"); print(r.status_code, r.content[:300])
    r = api.post(f"/tickets/{tid}/links", {"target_id": desk.colleague.pk, "kind": "blocks"}); print(r.status_code, r.content[:300])
    r = api.get(f"/tickets/{desk.colleague.pk}/links"); print(r.status_code, r.content[:300])
    r = api.post(f"/tickets/{tid}/time", {"minutes": 30, "note": "x"}); print(r.status_code, r.content[:300])
    r = api.get(f"/tickets/{tid}/time"); print(r.status_code, r.content[:400])
    r = api.get("/openapi.json"); print(r.status_code)
