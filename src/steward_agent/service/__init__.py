"""Service definitions shipped with the agent: systemd unit, launchd plist, Windows
install script. ``path(name)`` finds them inside the installed package."""

from pathlib import Path

FILES = ("steward-agent.service", "com.steward.agent.plist", "install.ps1")


def path(name: str) -> Path:
    if name not in FILES:
        raise ValueError(f"unknown service file {name!r}")
    return Path(__file__).with_name(name)
