"""Appending: record shape, hashing, permissions, failing closed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import stat
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import platformdirs
import pytest

from clockodo_mcp.audit import (
    ENV_AUDIT_LOG,
    AuditLog,
    AuditLogDamaged,
    AuditWriteError,
    default_audit_path,
    key_path,
    new_call_id,
    record_hash,
    verify,
)
from clockodo_mcp.audit.canonical import canonical_json
from clockodo_mcp.audit.files import head_path
from tests.audit.conftest import frozen_now

MakeLog = Callable[[int], AuditLog]


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_first_record_starts_the_chain_at_seq_1_with_a_zero_prev_hash(make_log: MakeLog, log_path: Path) -> None:
    record = make_log(0).append({"kind": "intent", "call_id": "c1", "tool": "log_time", "args": {"hours": 3}})
    assert record.seq == 1
    assert record.prev_hash == "0" * 64
    assert record.ts == "2025-03-14T09:26:53.589Z"
    assert lines(log_path) == [record.data]
    assert record.data["tool"] == "log_time"


def test_hash_is_an_hmac_under_the_audit_key_over_the_canonical_record_without_hash(
    make_log: MakeLog, log_path: Path
) -> None:
    make_log(0).append({"kind": "intent", "tool": "log_time", "args": {"text": "Müller ✓"}})
    (rec,) = lines(log_path)
    assert rec["v"] == 2
    body = {k: v for k, v in rec.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = bytes.fromhex(key_path(log_path).read_text().strip())
    expected = hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()
    assert rec["hash"] == expected == record_hash(rec, key)
    assert rec["hash"] != record_hash(rec)  # not the unkeyed v1 hash
    assert "Müller ✓" in log_path.read_text(encoding="utf-8")  # readable, not \u-escaped


def test_each_record_links_to_the_previous_hash(make_log: MakeLog, log_path: Path) -> None:
    make_log(5)
    recs = lines(log_path)
    assert [r["seq"] for r in recs] == [1, 2, 3, 4, 5]
    for prev, rec in itertools.pairwise(recs):
        assert rec["prev_hash"] == prev["hash"]


def test_head_file_anchors_the_last_record(make_log: MakeLog, log_path: Path) -> None:
    make_log(3)
    last = lines(log_path)[-1]
    assert json.loads(head_path(log_path).read_text()) == {"seq": 3, "hash": last["hash"]}


def test_a_new_instance_continues_the_existing_chain(make_log: MakeLog, log_path: Path) -> None:
    make_log(3)
    record = AuditLog(log_path, now=frozen_now).append({"kind": "intent", "tool": "x"})
    assert record.seq == 4
    assert verify(log_path).ok


def test_a_writer_keeps_its_chain_tip_only_while_the_files_are_as_it_left_them(
    make_log: MakeLog, log_path: Path
) -> None:
    log = make_log(2)
    raw = log_path.read_bytes()
    log_path.write_bytes(raw.replace(b'{"i":1}', b'{"i":7}'))  # same size, edited behind its back
    with pytest.raises(AuditLogDamaged, match="does not match its own hash"):
        log.append({"kind": "intent", "tool": "after"})
    log_path.write_bytes(raw)
    other = AuditLog(log_path, now=frozen_now)
    other.append({"kind": "intent", "tool": "other process"})
    assert log.append({"kind": "intent", "tool": "mine"}).seq == 4  # chains on the other writer's record
    assert verify(log_path).ok


def test_appending_reads_only_the_tail_of_a_large_log(make_log: MakeLog, log_path: Path) -> None:
    log = make_log(1)
    # A single huge record ahead of the tail must not need to be parsed to find the chain tip.
    log.append({"kind": "outcome", "tool": "big", "args": {"blob": "x" * 300_000}})
    log.append({"kind": "outcome", "tool": "small"})
    assert lines(log_path)[-1]["seq"] == 3
    assert verify(log_path).ok


def test_timestamps_are_utc_with_a_z_even_from_other_zones(log_path: Path) -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    log = AuditLog(log_path, now=lambda: dt.datetime(2025, 1, 1, 12, 0, 0, 123_000, tzinfo=plus_two))
    assert log.append({"kind": "intent"}).ts == "2025-01-01T10:00:00.123Z"


def test_non_json_values_are_stored_as_plain_json(make_log: MakeLog, log_path: Path) -> None:
    make_log(0).append({"kind": "intent", "args": {"day": dt.date(2025, 1, 31), "rate": Decimal("95.50")}})
    assert lines(log_path)[0]["args"] == {"day": "2025-01-31", "rate": "95.50"}
    assert verify(log_path).ok


def test_event_may_not_override_chain_fields(make_log: MakeLog) -> None:
    with pytest.raises(AuditWriteError, match="chain fields"):
        make_log(0).append({"kind": "intent", "seq": 99})


def test_unserialisable_event_fails_closed(make_log: MakeLog, log_path: Path) -> None:
    with pytest.raises(AuditWriteError, match="not JSON serialisable"):
        make_log(0).append({"kind": "intent", "args": {"x": object()}})
    assert not log_path.exists()


def test_log_file_and_sidecars_are_private_0600(make_log: MakeLog, log_path: Path) -> None:
    make_log(1)
    for path in (log_path, head_path(log_path), log_path.with_name("audit.jsonl.lock"), key_path(log_path)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_created_parent_directories_are_0700(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "audit.jsonl"
    AuditLog(path, now=frozen_now).append({"kind": "intent"})
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o700


def test_an_existing_log_with_loose_permissions_is_tightened(make_log: MakeLog, log_path: Path) -> None:
    make_log(1)
    log_path.chmod(0o644)
    make_log(0).append({"kind": "intent"})
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o600


def test_append_fails_closed_when_the_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(AuditWriteError, match="Could not write the audit log"):
        AuditLog(tmp_path).append({"kind": "intent"})


def test_append_fails_closed_when_the_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(AuditWriteError) as info:
        AuditLog(blocker / "audit.jsonl").append({"kind": "intent"})
    assert isinstance(info.value, OSError)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores directory permissions")
def test_append_fails_closed_when_the_directory_is_not_writable(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(AuditWriteError):
            AuditLog(locked / "audit.jsonl").append({"kind": "intent"})
    finally:
        locked.chmod(0o700)


def test_append_refuses_a_log_whose_tail_was_truncated(make_log: MakeLog, log_path: Path) -> None:
    make_log(4)
    kept = log_path.read_text(encoding="utf-8").splitlines(keepends=True)[:2]
    log_path.write_text("".join(kept), encoding="utf-8")
    with pytest.raises(AuditWriteError, match="does not match its head anchor"):
        make_log(0).append({"kind": "intent"})
    assert len(lines(log_path)) == 2  # nothing appended that would paper over the gap


def test_append_refuses_a_log_whose_head_anchor_was_deleted(make_log: MakeLog, log_path: Path) -> None:
    make_log(2)
    head_path(log_path).unlink()
    with pytest.raises(AuditWriteError, match="head anchor file is missing"):
        make_log(0).append({"kind": "intent"})


def test_append_refuses_a_log_emptied_behind_its_head(make_log: MakeLog, log_path: Path) -> None:
    make_log(2)
    log_path.write_bytes(b"")
    with pytest.raises(AuditWriteError, match="log is empty"):
        make_log(0).append({"kind": "intent"})


def test_append_refuses_an_edited_last_record(make_log: MakeLog, log_path: Path) -> None:
    make_log(2)
    log_path.write_text(log_path.read_text(encoding="utf-8").replace('"i":1', '"i":7'), encoding="utf-8")
    with pytest.raises(AuditWriteError, match="does not match its own hash"):
        make_log(0).append({"kind": "intent"})


def test_append_refuses_a_torn_last_line(make_log: MakeLog, log_path: Path) -> None:
    make_log(2)
    log_path.write_bytes(log_path.read_bytes()[:-10])
    with pytest.raises(AuditWriteError, match="incomplete"):
        make_log(0).append({"kind": "intent"})


def test_append_refuses_an_unreadable_head(make_log: MakeLog, log_path: Path) -> None:
    make_log(1)
    head_path(log_path).write_text("{garbage")
    with pytest.raises(AuditWriteError, match="head anchor is unreadable"):
        make_log(0).append({"kind": "intent"})


def test_an_append_interrupted_before_its_head_update_is_accepted_and_repaired(
    make_log: MakeLog, log_path: Path
) -> None:
    make_log(2)
    stale_head = head_path(log_path).read_bytes()
    make_log(0).append({"kind": "intent"})
    head_path(log_path).write_bytes(stale_head)  # as if the process died right after the fsync
    interrupted = verify(log_path)
    assert interrupted.ok
    assert interrupted.warning is not None
    assert make_log(0).append({"kind": "outcome"}).seq == 4
    repaired = verify(log_path)
    assert repaired.ok
    assert repaired.warning is None


def test_new_call_ids_are_unique_hex(make_log: MakeLog) -> None:
    ids = {new_call_id() for _ in range(100)} | {AuditLog.new_call_id()}
    assert len(ids) == 101
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_default_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_AUDIT_LOG, str(tmp_path / "mine.jsonl"))
    assert default_audit_path() == tmp_path / "mine.jsonl"


def test_default_path_falls_back_to_the_user_data_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_AUDIT_LOG, raising=False)
    assert default_audit_path() == platformdirs.user_data_path("clockodo-mcp") / "audit.jsonl"


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": "ü", "c": None}]}) == '{"a":[1,{"c":null,"d":"ü"}],"b":1}'


def test_naive_timestamps_are_taken_as_utc(log_path: Path) -> None:
    log = AuditLog(log_path, now=lambda: dt.datetime(2025, 1, 1, 12, 0, 0))
    assert log.append({"kind": "intent"}).ts == "2025-01-01T12:00:00.000Z"


def test_lone_surrogates_are_replaced_rather_than_losing_the_record(make_log: MakeLog, log_path: Path) -> None:
    make_log(0).append({"kind": "intent", "args": {"text": "bad \ud800 char"}})
    assert lines(log_path)[0]["args"] == {"text": "bad ? char"}
    assert verify(log_path).ok
