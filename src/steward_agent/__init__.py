"""The Steward endpoint agent (psutil + httpx, no Django). Built in the agent issue."""

__version__ = "0.1.0"
