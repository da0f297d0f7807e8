<#
.SYNOPSIS
  Installs the Steward endpoint agent on Windows and registers it to run at boot.

.DESCRIPTION
  Run in an elevated PowerShell, next to the steward_agent-*.whl wheel:

    .\install.ps1 -Server https://steward.example.com -Token ste_xxxxxxxx_xxxxxxxx

  It creates a virtual environment in "C:\Program Files\Steward Agent", installs the wheel,
  locks the state directory (%ProgramData%\Steward\Agent) down to SYSTEM and
  Administrators, enrolls, and registers the agent as the "StewardAgent" scheduled task:
  it starts at boot as LocalSystem, restarts after a failure, and is stopped cleanly by
  Task Scheduler. (A Python console program cannot answer the Service Control Manager
  itself, so `sc.exe create` alone would see it killed after 30 s; if you want it listed
  under services.msc, wrap the same command line with a service wrapper such as WinSW,
  see docs/agent.md.)

  Remove with:  & "C:\Program Files\Steward Agent\Scripts\steward-agent.exe" uninstall --yes
#>
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)][string]$Server,
  [Parameter(Mandatory = $true)][string]$Token,
  [string]$Wheel = (Get-ChildItem -Path $PSScriptRoot -Filter 'steward_agent-*.whl' |
    Sort-Object LastWriteTime -Descending | Select-Object -First 1).FullName,
  [string]$CaBundle = '',
  [string]$Python = 'py',
  [string]$InstallDir = "$env:ProgramFiles\Steward Agent",
  [string]$StateDir = "$env:ProgramData\Steward\Agent"
)
$ErrorActionPreference = 'Stop'
$TaskName = 'StewardAgent'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw 'Run this script in an elevated PowerShell (as Administrator).'
}
if (-not $Wheel -or -not (Test-Path $Wheel)) { throw 'No steward_agent-*.whl found; pass -Wheel PATH.' }

# 1. A private Python environment with the agent.
if (-not (Test-Path "$InstallDir\Scripts\python.exe")) {
  & $Python -3 -m venv $InstallDir
  if ($LASTEXITCODE -ne 0) { throw "Creating the virtual environment failed ($LASTEXITCODE)." }
}
& "$InstallDir\Scripts\python.exe" -m pip install --upgrade --quiet $Wheel
if ($LASTEXITCODE -ne 0) { throw "Installing $Wheel failed ($LASTEXITCODE)." }
$agent = "$InstallDir\Scripts\steward-agent.exe"

# 2. The state directory: SYSTEM and Administrators only (the credential lives here).
New-Item -ItemType Directory -Force -Path $StateDir | Out-Null
& icacls.exe $StateDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "Restricting $StateDir failed ($LASTEXITCODE)." }

# 3. Enroll (exit code 1 with a message when the server is unreachable or refuses).
$enrollArgs = @('--state-dir', $StateDir, 'enroll', '--server', $Server, '--token', $Token)
if ($CaBundle) { $enrollArgs += @('--ca-bundle', $CaBundle) }
& $agent @enrollArgs
if ($LASTEXITCODE -ne 0) { throw "Enrollment failed ($LASTEXITCODE)." }

# 4. Run at boot as SYSTEM; restart every minute on failure, never time out.
$action = New-ScheduledTaskAction -Execute $agent -Argument "--state-dir `"$StateDir`" run"
$trigger = New-ScheduledTaskTrigger -AtStartup
$settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
  -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) `
  -MultipleInstances IgnoreNew -StartWhenAvailable
$system = New-ScheduledTaskPrincipal -UserId 'S-1-5-18' -LogonType ServiceAccount -RunLevel Highest
Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings `
  -Principal $system -Description 'Steward endpoint agent' -Force | Out-Null
Start-ScheduledTask -TaskName $TaskName
Write-Host "Steward agent installed and started (scheduled task $TaskName)."
& $agent --state-dir $StateDir status
