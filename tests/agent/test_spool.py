"""The offline spool: bounded, ordered, durable, and lossless when a replay fails midway."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from steward_agent.spool import Spool, SpooledMessage, Verdict


def fill(spool: Spool, n: int, kind: str = "heartbeat", start: int = 0) -> None:
    for i in range(start, start + n):
        spool.put(kind, f"id-{i}", f'{{"n": {i}}}')


def test_replay_in_order_and_deletes_only_acknowledged(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.db") as spool:
        fill(spool, 5)
        sent: list[str] = []

        def send(message: SpooledMessage) -> Verdict:
            sent.append(message.message_id)
            return "ack"

        result = spool.replay(send)
        assert sent == [f"id-{i}" for i in range(5)]
        assert (result.sent, result.remaining, result.stopped) == (5, 0, False)
        assert len(spool) == 0


def test_bounded_drop_oldest_with_counter(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.db", max_messages=3) as spool:
        fill(spool, 5)
        assert [m.message_id for m in spool.pending()] == ["id-2", "id-3", "id-4"]
        assert spool.stats().dropped == 2


def test_bounded_by_bytes(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.db", max_bytes=100) as spool:
        for i in range(5):
            spool.put("heartbeat", f"id-{i}", "x" * 40)
        assert [m.message_id for m in spool.pending()] == ["id-3", "id-4"]
        assert spool.stats().dropped == 3


def test_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    spool = Spool(path)
    fill(spool, 3)
    spool.close()
    with Spool(path) as reopened:
        assert [m.message_id for m in reopened.pending()] == ["id-0", "id-1", "id-2"]
        fill(reopened, 1, start=3)
        assert [m.message_id for m in reopened.pending()][-1] == "id-3"


def test_failure_mid_replay_loses_nothing_and_keeps_order(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.db") as spool:
        fill(spool, 5)
        calls: list[str] = []

        def flaky(message: SpooledMessage) -> Verdict:
            calls.append(message.message_id)
            return "retry" if message.message_id == "id-2" else "ack"

        result = spool.replay(flaky)
        assert result.stopped and result.sent == 2 and result.remaining == 3
        assert [m.message_id for m in spool.pending()] == ["id-2", "id-3", "id-4"]

        def crashing(message: SpooledMessage) -> Verdict:
            raise ConnectionError("network went away")

        with pytest.raises(ConnectionError):
            spool.replay(crashing)
        assert [m.message_id for m in spool.pending()] == ["id-2", "id-3", "id-4"]
        assert spool.pending()[0].attempts == 2

        result = spool.replay(lambda m: "ack")
        assert result.sent == 3 and len(spool) == 0


def test_rejected_messages_are_dropped_and_counted(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.db") as spool:
        fill(spool, 3)
        result = spool.replay(lambda m: "reject" if m.message_id == "id-1" else "ack")
        assert (result.sent, result.rejected) == (2, 1)
        assert spool.stats().rejected == 1


def test_same_message_id_is_queued_once(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.db") as spool:
        spool.put("heartbeat", "same", "{}")
        spool.put("heartbeat", "same", "{}")
        assert len(spool) == 1


def test_newer_inventory_supersedes_queued_ones(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.db") as spool:
        spool.put("heartbeat", "h1", "{}")
        spool.put("inventory", "i1", "{}")
        spool.put("heartbeat", "h2", "{}")
        spool.put("inventory", "i2", "{}")
        assert [m.message_id for m in spool.pending()] == ["h1", "h2", "i2"]
        assert spool.stats().superseded == 1


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_spool_file_is_private(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.db"):
        pass
    assert stat.S_IMODE((tmp_path / "s.db").stat().st_mode) == 0o600
