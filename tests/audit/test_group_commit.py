"""Group commit for reads: concurrent records share one fsync, head update and anchor, and the chain stays whole."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from clockodo_mcp.audit import AuditLog, AuditLogDamaged, AuditWriteError, iter_records, verify
from clockodo_mcp.audit.files import head_path
from clockodo_mcp.audit.log import GROUP_MAX
from tests.audit.conftest import frozen_now

MakeLog = Callable[[int], AuditLog]


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str


class RecordingAnchors:
    """An anchor store that remembers every anchoring (the store's protocol, in memory)."""

    def __init__(self) -> None:
        self.written: list[Anchor] = []

    def read_anchor(self, log: str) -> Anchor | None:
        return self.written[-1] if self.written else None

    def write_anchor(self, log: str, seq: int, hash: str) -> None:
        self.written.append(Anchor(seq, hash))


def commit_together(log: AuditLog, count: int) -> None:
    """Queue `count` grouped appends behind a commit in progress, so that one commit stores them all."""
    threads = [
        threading.Thread(target=log.append_grouped, args=({"kind": "intent", "tool": f"read-{i}"},))
        for i in range(count)
    ]
    with log._lock:  # a commit in progress: the appends queue up behind it
        for t in threads:
            t.start()
        while len(log._queue) < count:
            pass
    for t in threads:
        t.join()


def test_records_queued_while_a_commit_runs_are_committed_together_with_one_anchor(log_path: Path) -> None:
    anchors = RecordingAnchors()
    log = AuditLog(log_path, now=frozen_now, anchor=anchors)
    log.append_grouped({"kind": "intent", "tool": "first"})
    commit_together(log, 5)
    assert [a.seq for a in anchors.written] == [1, 6]
    assert verify(log_path).ok
    records = list(iter_records(log_path))
    assert "group" not in records[0]
    assert sorted((r["tool"], r["group"]) for r in records[1:]) == [(f"read-{i}", 5) for i in range(5)]


def test_threads_appending_grouped_and_one_by_one_keep_one_valid_chain(log_path: Path) -> None:
    log = AuditLog(log_path, now=frozen_now)
    errors: list[BaseException] = []

    def run(name: str, grouped: bool) -> None:
        try:
            for i in range(25):
                (log.append_grouped if grouped else log.append)({"kind": "intent", "tool": name, "args": {"i": i}})
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"t{t}", t % 3 != 0)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = verify(log_path)
    assert result.ok, result.reason
    assert result.records == 200


def test_a_group_commit_interrupted_before_its_head_update_is_accepted_and_repaired(
    make_log: MakeLog, log_path: Path
) -> None:
    make_log(2)
    stale_head = head_path(log_path).read_bytes()
    commit_together(make_log(0), 5)
    head_path(log_path).write_bytes(stale_head)  # as if the process died after the commit's fsync, before its head
    interrupted = verify(log_path)
    assert interrupted.ok, interrupted.reason
    assert "5 records behind" in (interrupted.warning or "")
    assert make_log(0).append_grouped({"kind": "outcome"}).seq == 8
    assert verify(log_path).warning is None


def test_records_behind_the_head_that_are_not_one_whole_group_commit_are_refused(
    make_log: MakeLog, log_path: Path
) -> None:
    make_log(2)
    stale_head = head_path(log_path).read_bytes()
    make_log(0).append({"kind": "intent"})
    commit_together(make_log(0), 3)
    head_path(log_path).write_bytes(stale_head)  # four records behind: one lone record, then a group of three
    assert not verify(log_path).ok
    with pytest.raises(AuditLogDamaged, match="does not match its head anchor"):
        make_log(0).append_grouped({"kind": "intent"})


def test_an_event_may_not_claim_to_be_part_of_a_group_commit(make_log: MakeLog) -> None:
    with pytest.raises(AuditWriteError, match="chain fields"):
        make_log(0).append_grouped({"kind": "intent", "group": 2})


def test_a_grouped_append_that_cannot_be_stored_fails_closed(tmp_path: Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    log_path.mkdir()
    with pytest.raises(AuditWriteError):
        AuditLog(log_path, now=frozen_now).append_grouped({"kind": "intent", "tool": "list_users"})


def test_records_appended_together_stay_next_to_each_other_and_never_straddle_two_commits(log_path: Path) -> None:
    anchors = RecordingAnchors()
    log = AuditLog(log_path, now=frozen_now, anchor=anchors)
    pairs = [
        threading.Thread(
            target=log.append_together,
            args=([{"kind": "intent", "call_id": f"c{i}"}, {"kind": "outcome", "call_id": f"c{i}"}],),
        )
        for i in range(GROUP_MAX // 2 + 3)  # more records than one commit holds
    ]
    lone = threading.Thread(target=log.append_grouped, args=({"kind": "intent", "call_id": "lone"},))
    with log._lock:  # a commit in progress: everything queues up behind it
        lone.start()
        while len(log._queue) < 1:  # queued first
            pass
        for t in pairs:
            t.start()
        while len(log._queue) < len(pairs) + 1:
            pass
    for t in [lone, *pairs]:
        t.join()
    records = list(iter_records(log_path))
    assert len(records) == GROUP_MAX + 7
    for first, second in itertools.pairwise(records):
        if second["kind"] == "outcome":
            assert first["call_id"] == second["call_id"]
    # two commits: the first as full as whole pairs allow (the lone record plus 15 pairs), the rest in the second
    assert [a.seq for a in anchors.written] == [GROUP_MAX - 1, GROUP_MAX + 7]
    assert verify(log_path).ok


@pytest.mark.parametrize("count", [0, GROUP_MAX + 1])
def test_appending_together_takes_one_to_a_commits_worth_of_records(make_log: MakeLog, count: int) -> None:
    with pytest.raises(AuditWriteError, match=f"1 to {GROUP_MAX} records, not {count}"):
        make_log(0).append_together([{"kind": "intent"}] * count)
