"""A small but real HTTP implementation of the agent API for the agent's tests.

It follows the protocol the Django server implements (status codes, JSON errors, message
id de-duplication, clone hand-over), so the agent is exercised over real sockets. The
tests against the real server live in test_live_server.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import ValidationError

from steward_protocol.messages import (
    AGENT_API_PREFIX,
    DEVICE_AUTH_SCHEME,
    EnrollRequest,
    Heartbeat,
    Inventory,
)


@dataclass
class FakeSteward:
    token: str = "ste_0123abcd_" + "t" * 20
    interval: int = 60
    want_inventory: bool = True
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)  # credential → device
    revoked: set[str] = field(default_factory=set)
    seen_ids: set[str] = field(default_factory=set)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (kind, message id), unique
    received: list[tuple[str, str]] = field(default_factory=list)  # every delivery, dupes too
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, auth header)
    fail_next: int = 0  # answer this many requests with 503
    drop_after_accept: int = 0  # accept, then close without answering (lost response)
    clone_next: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any] | None]:
        with self.lock:
            self.requests.append((path, headers.get("authorization", "")))
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"detail": "maintenance"}
            if headers.get("content-type") != "application/json":
                return 400, {"detail": "expected JSON"}
            if path == f"{AGENT_API_PREFIX}/enroll":
                return self._enroll(body)
            device = self._auth(headers.get("authorization", ""))
            if isinstance(device, tuple):
                return device
            if path == f"{AGENT_API_PREFIX}/checkin":
                return self._message("heartbeat", Heartbeat, body, device)
            if path == f"{AGENT_API_PREFIX}/inventory":
                return self._message("inventory", Inventory, body, device)
            return 404, {"detail": "not found"}

    def _enroll(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            request = EnrollRequest.model_validate_json(body)
        except ValidationError:
            return 422, {"detail": "invalid enrollment"}
        if request.token != self.token:
            return 401, {"detail": "unknown or expired enrollment token"}
        credential = secrets.token_urlsafe(24)
        existing = next(
            (d for d in self.devices.values() if d["machine_id"] == request.identity.machine_id), None
        )
        device_id = existing["device_id"] if existing else str(uuid.uuid4())
        self.devices[credential] = {"device_id": device_id, "machine_id": request.identity.machine_id}
        body_out = {
            "device_id": device_id,
            "credential": credential,
            "checkin_interval": self.interval,
            "reinstalled": existing is not None,
        }
        return 201, body_out

    def _auth(self, header: str) -> dict[str, Any] | tuple[int, dict[str, Any]]:
        scheme, _, credential = header.partition(" ")
        if scheme != DEVICE_AUTH_SCHEME or credential not in self.devices or credential in self.revoked:
            return 401, {"detail": "unknown or revoked device credential"}
        return self.devices[credential]

    def _message(
        self, kind: str, model: Any, body: bytes, device: dict[str, Any]
    ) -> tuple[int, dict[str, Any] | None]:
        try:
            message = model.model_validate_json(body)
        except ValidationError:
            return 422, {"detail": f"invalid {kind}"}
        if str(message.device_id) != device["device_id"]:
            return 403, {"detail": "device mismatch"}
        message_id = str(message.message_id)
        self.received.append((kind, message_id))
        duplicate = message_id in self.seen_ids
        if not duplicate:
            self.seen_ids.add(message_id)
            self.accepted.append((kind, message_id))
        if self.drop_after_accept > 0:
            self.drop_after_accept -= 1
            return 0, None  # the handler closes the connection without an answer
        if kind == "inventory":
            self.want_inventory = False
            return 200, {"accepted": True, "duplicate": duplicate, "changes": 0}
        answer: dict[str, Any] = {
            "interval_seconds": self.interval,
            "want_inventory": self.want_inventory,
            "server_time": dt.datetime.now(dt.UTC).isoformat(),
            "duplicate": duplicate,
        }
        if self.clone_next:
            self.clone_next = False
            credential = secrets.token_urlsafe(24)
            new_id = str(uuid.uuid4())
            self.devices[credential] = {"device_id": new_id, "machine_id": device["machine_id"]}
            answer.update(new_device_id=new_id, new_credential=credential)
            self.want_inventory = True
        return 200, answer

    def heartbeats(self) -> list[str]:
        return [mid for kind, mid in self.accepted if kind == "heartbeat"]

    def inventories(self) -> list[str]:
        return [mid for kind, mid in self.accepted if kind == "inventory"]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload = self.server.app.handle(self.path, headers, body)
        if status == 0:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: FakeSteward


class RunningServer:
    def __init__(self, app: FakeSteward) -> None:
        self.app = app
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.app = app
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
