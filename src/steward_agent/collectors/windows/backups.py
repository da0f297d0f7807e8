"""Backup status: Windows Server Backup (Get-WBSummary) and Veeam Agent/Backup job
sessions from the "Veeam Agent" event log (event 190: job finished), where present."""

from __future__ import annotations

from typing import Any

from steward_agent.collectors.base import Context, Partial, clip, register
from steward_agent.collectors.windows.powershell import as_list, parse_date, powershell
from steward_protocol.messages import Backup

SCRIPT = r"""
$ErrorActionPreference = 'Continue'
$wsb = $null
if (Get-Command Get-WBSummary -ErrorAction SilentlyContinue) {
  try {
    $s = Get-WBSummary
    $wsb = [pscustomobject]@{
      last_success = $(if ($s.LastSuccessfulBackupTime) {
        $s.LastSuccessfulBackupTime.ToUniversalTime().ToString('o') } else { $null })
      last_backup = $(if ($s.LastBackupTime) {
        $s.LastBackupTime.ToUniversalTime().ToString('o') } else { $null })
      result = [int64]$s.LastBackupResultHR; detail = [string]$s.DetailedMessage }
  } catch { }
}
$veeam = @()
try {
  $filter = @{ LogName = 'Veeam Agent'; Id = 190 }
  $events = Get-WinEvent -FilterHashtable $filter -MaxEvents 50 -ErrorAction Stop
  $veeam = @($events | ForEach-Object { [pscustomobject]@{
    time = $_.TimeCreated.ToUniversalTime().ToString('o'); level = [int]$_.Level
    message = [string]$_.Message } })
} catch { }
[pscustomobject]@{ wsb = $wsb; veeam = $veeam } | ConvertTo-Json -Depth 4 -Compress
"""


def parse_backups(data: dict[str, Any]) -> list[Backup]:
    backups: list[Backup] = []
    wsb = data.get("wsb")
    if wsb:
        last_backup = parse_date(wsb.get("last_backup"))
        failed = int(wsb.get("result") or 0) != 0
        backups.append(
            Backup(
                tool="Windows Server Backup",
                last_success_at=parse_date(wsb.get("last_success")),
                last_failure_at=last_backup if failed else None,
                detail=clip(wsb.get("detail"), 2000),
            )
        )
    success = failure = None
    detail = ""
    for event in as_list(data.get("veeam")):
        moment = parse_date(event.get("time"))
        message = str(event.get("message") or "")
        # Level 4 (information) with "Success" is a good run; errors and "Failed" are not.
        ok = int(event.get("level") or 4) == 4 and "fail" not in message.lower()
        if ok and moment and (success is None or moment > success):
            success = moment
        if not ok and moment and (failure is None or moment > failure):
            failure, detail = moment, message
    if data.get("veeam"):
        backups.append(
            Backup(
                tool="Veeam Agent",
                last_success_at=success,
                last_failure_at=failure,
                detail=clip(detail, 2000),
            )
        )
    return backups


@register("backups", "windows", timeout=300)
def collect_backups(ctx: Context) -> Partial | list[Backup]:
    backups = parse_backups(powershell(SCRIPT, ctx) or {})
    if not backups:
        return Partial([], "neither Windows Server Backup nor Veeam Agent found")
    return backups
