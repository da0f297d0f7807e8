"""macOS collectors: system_profiler -json, softwareupdate, fdesetup, the application
firewall's socketfilterfw, XProtect, Time Machine, dscl. Importing registers them; they
are unit-tested with recorded command output."""

from steward_agent.collectors.macos import collectors  # noqa: F401
