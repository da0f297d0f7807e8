"""Wire models shared by the Steward server and the endpoint agent (pydantic v2)."""

from steward_protocol.messages import (
    AGENT_API_PREFIX,
    DEVICE_AUTH_SCHEME,
    PROTOCOL_VERSION,
    CheckInResponse,
    EnrollRequest,
    EnrollResponse,
    Heartbeat,
    Inventory,
    InventoryResponse,
)

__all__ = [
    "AGENT_API_PREFIX",
    "DEVICE_AUTH_SCHEME",
    "PROTOCOL_VERSION",
    "CheckInResponse",
    "EnrollRequest",
    "EnrollResponse",
    "Heartbeat",
    "Inventory",
    "InventoryResponse",
]
