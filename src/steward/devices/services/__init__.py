"""Device services: agent enrollment and ingest, inventory, metrics, fleet operations.

Submodules are imported explicitly (``from steward.devices.services import ingest``);
this package imports none of them, so each stays cheap to load on its own.
"""

from __future__ import annotations


class AgentError(Exception):
    """A refusal to answer an agent with: the HTTP status and a one-line reason."""

    def __init__(self, status: int, detail: str, errors: list[tuple[str | None, str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
