"""HTTP to the Steward server: TLS verified by default (system trust store plus certifi,
or only the operator's ``--ca-bundle``), bounded timeouts, no redirects, and errors mapped
to what the run loop has to do about them."""

from __future__ import annotations

import ipaddress
import json
import logging
import ssl
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from steward_agent import __version__
from steward_protocol.messages import (
    AGENT_API_PREFIX,
    DEVICE_AUTH_SCHEME,
    CheckInResponse,
    EnrollRequest,
    EnrollResponse,
    InventoryResponse,
)

log = logging.getLogger(__name__)
ResponseT = TypeVar("ResponseT", bound=BaseModel)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class TransportError(Exception):
    """The server could not be reached or failed (network error, 5xx): try again later."""


class ServerRefused(Exception):
    """The server answered with a 4xx: ``status`` and the server's ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}" if detail else str(status))
        self.status = status
        self.detail = detail


class CredentialRejected(ServerRefused):
    """401: the credential is unknown or revoked; the agent must be enrolled again."""


class Forbidden(ServerRefused):
    """403: the device is quarantined or the message does not match the credential."""


class MessageRejected(ServerRefused):
    """400/404/409/413/422: this message will never be accepted as it is."""


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalise_server_url(url: str, *, allow_http: bool = False) -> str:
    """``https://host[:port][/path]`` without a trailing slash; plain http only to loopback
    (tests, a local proxy) unless explicitly allowed."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if parts.scheme == "http" and not allow_http and not _is_loopback(parts.hostname):
        raise ValueError("the server URL must use https (plain http only with --allow-http)")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("the server URL must not contain credentials, a query or a fragment")
    return url.rstrip("/")


def ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    if ca_bundle:
        try:
            return ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"cannot load the CA bundle {ca_bundle}: {exc}") from exc
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    except (ImportError, OSError, ssl.SSLError):
        pass
    return context


class AgentClient:
    def __init__(
        self,
        server_url: str,
        *,
        credential: str | None = None,
        ca_bundle: str | None = None,
        allow_http: bool = False,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server_url = normalise_server_url(server_url, allow_http=allow_http)
        self.credential = credential
        self._http = httpx.Client(
            base_url=self.server_url + AGENT_API_PREFIX,
            verify=ssl_context(ca_bundle),
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": f"steward-agent/{__version__}", "Accept": "application/json"},
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, path: str, body: str, model: type[ResponseT], *, auth: bool = True) -> ResponseT:
        headers = {"Content-Type": "application/json"}
        if auth:
            if not self.credential:
                raise CredentialRejected(401, "this agent is not enrolled")
            headers["Authorization"] = f"{DEVICE_AUTH_SCHEME} {self.credential}"
        try:
            response = self._http.post(path, content=body.encode("utf-8"), headers=headers)
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out talking to {self.server_url}") from exc
        except httpx.TransportError as exc:
            raise TransportError(f"cannot reach {self.server_url}: {exc}") from exc
        status = response.status_code
        if status >= 500 or status in (408, 429):
            raise TransportError(f"server error {status} from {self.server_url}")
        if 300 <= status < 400:
            raise TransportError(f"unexpected redirect ({status}) to {response.headers.get('location', '?')}")
        if status >= 400:
            detail = _detail(response)
            error = {401: CredentialRejected, 403: Forbidden}.get(status, MessageRejected)
            raise error(status, detail)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise TransportError(f"unexpected answer from {self.server_url}{AGENT_API_PREFIX}{path}") from exc

    def enroll(self, request: EnrollRequest) -> EnrollResponse:
        return self._post("/enroll", request.model_dump_json(), EnrollResponse, auth=False)

    def checkin(self, body: str) -> CheckInResponse:
        return self._post("/checkin", body, CheckInResponse)

    def inventory(self, body: str) -> InventoryResponse:
        return self._post("/inventory", body, InventoryResponse)


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.reason_phrase
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        return data["detail"][:500]
    if isinstance(data, dict) and data.get("detail") is not None:
        return json.dumps(data["detail"])[:500]
    return response.reason_phrase
