"""The agent installs on its own: a wheel with steward_agent and steward_protocol only."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_agent_wheel_holds_only_the_agent_and_the_protocol(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT / "agent")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [wheel] = tmp_path.glob("steward_agent-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {
        "steward_agent",
        "steward_protocol",
        wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info",
    }
    assert not any(n.startswith("steward/") or "__pycache__" in n for n in names)
    for needed in (
        "steward_agent/cli.py",
        "steward_agent/collectors/linux/software.py",
        "steward_agent/collectors/windows/updates.py",
        "steward_agent/collectors/macos/collectors.py",
        "steward_agent/service/steward-agent.service",
        "steward_agent/service/install.ps1",
        "steward_agent/service/com.steward.agent.plist",
        "steward_protocol/messages.py",
    ):
        assert needed in names
    metadata = (
        zipfile.ZipFile(wheel)
        .read(f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/METADATA")
        .decode()
    )
    requires = {
        line.split(":", 1)[1].strip().split(">")[0]
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    }
    assert requires == {"httpx", "psutil", "pydantic"}
    entry_points = (
        zipfile.ZipFile(wheel)
        .read(f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/entry_points.txt")
        .decode()
    )
    assert "steward-agent = steward_agent.cli:main" in entry_points
    sources = [zipfile.ZipFile(wheel).read(n).decode() for n in names if n.endswith(".py")]
    assert not any("import django" in src or "from django" in src for src in sources)
