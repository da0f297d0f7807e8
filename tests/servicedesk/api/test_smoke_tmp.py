import json
import pytest
pytestmark = pytest.mark.django_db

def test_smoke(world, api_as):
    api = api_as("provider_admin")
    for path, params in [("/clients", {"limit": 0}), ("/tickets", {"limit": 0}), ("/tickets", {"status": "x"}), ("/tickets", {"priority": "x"}),("/tickets", {"assignee_id": "x"}), ("/tickets", {"created_after": "0001-01-01T00:00:00+05:00"}), ("/devices", {"status": "x"})]:
        r = api.get(path, params)
        print(path, r.status_code, r.json())
