"""Steward: proactive IT support platform."""

__version__ = "0.1.0"
