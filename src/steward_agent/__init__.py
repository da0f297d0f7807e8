"""The Steward endpoint agent: enrollment, heartbeats, inventory collectors and an offline
spool. Depends only on psutil, httpx and the shared wire models (steward_protocol)."""

__version__ = "0.1.0"
