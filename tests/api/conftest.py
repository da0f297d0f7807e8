"""API test helpers: tokens for any user, and an HTTP client that speaks JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient

from steward.core.models import User
from steward.core.services.security import issue_token

BASE = "/api/v1"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The root settings hash with Argon2: correct, but slow for dozens of users per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Api:
    """A test HTTP client for /api/v1 that sends and reads JSON."""

    def __init__(self, token: str | None = None, http: HttpClient | None = None) -> None:
        self.http = http or HttpClient()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(
        self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        return self.http.get(BASE + path, params or {}, headers=self._headers(headers))

    def send(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        raw: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        body = raw if raw is not None else ("" if data is None else json.dumps(data))
        call = getattr(self.http, method.lower())
        return call(BASE + path, body, content_type=content_type, headers=self._headers(headers))

    def post(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self.send("POST", path, data, **kw)

    def patch(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self.send("PATCH", path, data, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.send("DELETE", path, None, **kw)


@pytest.fixture
def make_token(world: Any) -> Callable[..., str]:
    """``make_token("client_admin_a", role=..., client_ids=[...])``: the secret of a new token."""

    def _make(user: str | User, **options: Any) -> str:
        owner = world.users[user] if isinstance(user, str) else user
        return issue_token(owner, name=options.pop("name", "test token"), **options).secret

    return _make


@pytest.fixture
def api_as(make_token: Callable[..., str]) -> Callable[..., Api]:
    """``api_as("provider_admin")``: an API client using a fresh token of that user."""

    def _api(user: str | User, **options: Any) -> Api:
        return Api(make_token(user, **options))

    return _api


@pytest.fixture
def session_as(world: Any) -> Callable[..., Api]:
    """``session_as("end_user_a")``: an API client signed in with a browser session."""

    def _api(user: str | User) -> Api:
        http = HttpClient()
        http.force_login(
            world.users[user] if isinstance(user, str) else user, backend="steward.core.auth.EmailBackend"
        )
        return Api(http=http)

    return _api


def names(response: Any, key: str = "name") -> set[str]:
    return {row[key] for row in response.json()["results"]}
