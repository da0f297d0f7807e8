from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.fake_server import FakeSteward, RunningServer


@pytest.fixture
def fake_server() -> Iterator[RunningServer]:
    server = RunningServer(FakeSteward())
    yield server
    server.stop()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "agent-state"
