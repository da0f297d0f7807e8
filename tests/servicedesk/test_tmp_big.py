import json, pytest
from tests.api.conftest import Api
pytestmark = pytest.mark.django_db
def test_big(world, api_as):
    r = api_as("provider_admin").post("/clients", {"name": "x"*6_000_000, "short_code": "A"})
    print(r.status_code, r.content[:300])
