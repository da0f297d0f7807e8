"""Pending updates from the Windows Update Agent COM API (Microsoft.Update.Session) through
PowerShell, with MSRC severity and the Security Updates category; the last successful
installation from Microsoft.Update.AutoUpdate, else the newest Get-HotFix date."""

from __future__ import annotations

from typing import Any

from steward_agent.collectors.base import Context, clip, register
from steward_agent.collectors.common import with_pending_since
from steward_agent.collectors.windows.powershell import as_list, parse_date, powershell
from steward_protocol.messages import PendingUpdate, Updates

SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$session = New-Object -ComObject Microsoft.Update.Session
$result = $session.CreateUpdateSearcher().Search("IsInstalled=0 and IsHidden=0 and Type='Software'")
$pending = @(foreach ($u in $result.Updates) {
  [pscustomobject]@{ id = $u.Identity.UpdateID; kb = (@($u.KBArticleIDs) -join ','); title = $u.Title
    severity = [string]$u.MsrcSeverity; categories = @($u.Categories | ForEach-Object { $_.Name }) } })
$last = $null
try {
  $last = (New-Object -ComObject Microsoft.Update.AutoUpdate).Results.LastInstallationSuccessDate
} catch { }
if (-not $last) {
  $hotfix = Get-HotFix | Where-Object InstalledOn | Sort-Object InstalledOn -Descending |
    Select-Object -First 1
  if ($hotfix) { $last = $hotfix.InstalledOn }
}
[pscustomobject]@{
  pending = $pending
  last_success = $(if ($last) { ([datetime]$last).ToUniversalTime().ToString('o') } else { $null })
} | ConvertTo-Json -Depth 4 -Compress
"""
SEVERITY = {"critical": "critical", "important": "important", "moderate": "moderate", "low": "low"}


def parse_updates(data: dict[str, Any]) -> tuple[list[PendingUpdate], Any]:
    pending = []
    for item in as_list(data.get("pending"))[:5000]:
        kb = str(item.get("kb") or "").split(",")[0]
        severity = SEVERITY.get(str(item.get("severity") or "").lower(), "unknown")
        categories = [str(c).lower() for c in as_list(item.get("categories"))]
        pending.append(
            PendingUpdate(
                update_id=clip(f"KB{kb}" if kb else item.get("id") or item.get("title")),
                title=clip(item.get("title")),
                severity=severity,  # type: ignore[arg-type]
                is_security=any("security" in c for c in categories) or severity != "unknown",
            )
        )
    return pending, parse_date(data.get("last_success"))


@register("updates", "windows", timeout=600)
def collect_updates(ctx: Context) -> Updates:
    pending, last = parse_updates(powershell(SCRIPT, ctx, timeout=540) or {})
    return Updates(pending=with_pending_since(ctx, pending), last_success_at=last)
