"""Random JSON at the write endpoints: any answer but a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300)
    | st.sampled_from(
        ["", "\x00", "UTC", "Europe/London", "Mars/Base", "a" * 5000, "https://x.example", "ACME"]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)

CLIENT_KEYS = [
    "name",
    "short_code",
    "status",
    "email_domain",
    "phone",
    "website",
    "notes",
    "id",
    "provider_id",
]
SITE_KEYS = [
    "client_id",
    "name",
    "time_zone",
    "address_line1",
    "city",
    "country",
    "postal_code",
    "notes",
    "id",
]


def _objects(keys: list[str]) -> st.SearchStrategy:
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=10), VALUES, max_size=8)


FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _check(response) -> None:
    assert response.status_code != 500, response.content
    assert response.status_code in {200, 201, 400, 403, 404, 405, 422}, response.content
    assert response["Content-Type"].startswith("application/json")


@pytest.fixture
def admin(world, make_token) -> Api:
    return Api(make_token("provider_admin"))


@FUZZ
@given(body=_objects(CLIENT_KEYS) | VALUES)
def test_fuzz_create_client(admin, body):
    _check(admin.post("/clients", raw=json.dumps(body)))


@FUZZ
@given(body=_objects(SITE_KEYS) | VALUES, use_real_client=st.booleans())
def test_fuzz_create_site(world, admin, body, use_real_client):
    if use_real_client and isinstance(body, dict):
        body["client_id"] = world.client_a.pk
    _check(admin.post("/sites", raw=json.dumps(body)))


@FUZZ
@given(body=_objects(SITE_KEYS) | VALUES)
def test_fuzz_patch_site(world, admin, body):
    _check(admin.patch(f"/sites/{world.site_a.pk}", raw=json.dumps(body)))


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200))
def test_fuzz_raw_bodies(admin, raw):
    _check(admin.post("/clients", raw=raw))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["limit", "offset", "ordering", "q", "status", "client_id"]),
        st.text(max_size=30),
        max_size=4,
    )
)
def test_fuzz_list_params(admin, params):
    for path in ("/clients", "/sites"):
        response = admin.get(path, params)
        assert response.status_code in {200, 422}, (path, params, response.content)
