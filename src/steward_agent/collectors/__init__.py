"""Inventory collectors: per-platform plug-ins registered in :mod:`.base`."""

from steward_agent.collectors.base import (
    Collector,
    Context,
    Outcome,
    Unavailable,
    collectors_for,
    current_platform,
    register,
    run_collectors,
)

__all__ = [
    "Collector",
    "Context",
    "Outcome",
    "Unavailable",
    "collectors_for",
    "current_platform",
    "register",
    "run_collectors",
]
