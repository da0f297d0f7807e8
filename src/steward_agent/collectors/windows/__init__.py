"""Windows collectors: PowerShell (CIM, Windows Update COM API, Security Center, BitLocker,
Defender, Windows Server Backup, Veeam) and the registry via winreg. Importing this
package registers them; they are unit-tested with recorded command output."""

from steward_agent.collectors.windows import (  # noqa: F401
    backups,
    hardware,
    security,
    software,
    system,
    updates,
)
