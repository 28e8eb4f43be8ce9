"""The keyed chain and the store's anchor: every kind of tampering is detected with the key, a torn line is
repaired (with a copy and a record of the repair), and old unkeyed logs are reported as such instead of crashing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from clockodo_mcp.audit import (
    ENV_AUDIT_KEY,
    AuditKey,
    AuditLog,
    AuditLogDamaged,
    AuditWriteError,
    RepairRefused,
    iter_records,
    key_path,
    load_key,
    log_id,
    record_hash,
    repair,
    verify,
)
from clockodo_mcp.audit.files import GENESIS_HASH, head_path
from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import SQLiteStore
from tests.audit.conftest import FROZEN, fill, frozen_now

OTHER_KEY = AuditKey(b"an attacker's own key, not ours", "test")


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "store.sqlite3", now=FrozenClock(FROZEN).now)


@pytest.fixture
def log(log_path: Path, store: SQLiteStore) -> AuditLog:
    log = AuditLog(log_path, now=frozen_now, anchor=store)
    fill(log, 6)
    return log


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def write(path: Path, records: list[str]) -> None:
    path.write_text("".join(records), encoding="utf-8")


def rechain(records: list[dict[str, object]], key: bytes | None, prev: str = GENESIS_HASH) -> list[str]:
    """Re-link and re-hash records (v2 under `key`, or v1 without one), as a forger rewriting the file would."""
    out = []
    for rec in records:
        rec = dict(rec)
        if key is None:
            rec.pop("v", None)
        rec["prev_hash"] = prev
        rec.pop("hash", None)
        rec["hash"] = prev = record_hash(rec, key)
        out.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    return out


def set_head(path: Path, line: str) -> None:
    """Rewrite the head file to match a forged last record, as a careful forger would."""
    rec = json.loads(line)
    head_path(path).write_text(json.dumps({"seq": rec["seq"], "hash": rec["hash"]}))


def records_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in lines(path)]


def our_key(path: Path) -> bytes:
    key = load_key(path)
    assert key is not None
    return key.secret


# -- the key ------------------------------------------------------------------------------------------------


def test_the_first_append_creates_a_private_key_file_that_later_appends_reuse(log_path: Path) -> None:
    AuditLog(log_path, now=frozen_now).append({"kind": "intent"})
    key_file = key_path(log_path)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_text()
    AuditLog(log_path, now=frozen_now).append({"kind": "intent"})
    assert key_file.read_text() == first
    assert verify(log_path).ok


def test_the_environment_key_wins_and_no_key_file_is_written(log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_AUDIT_KEY, "a-long-shared-secret-from-the-vault")
    AuditLog(log_path, now=frozen_now).append({"kind": "intent"})
    assert not key_path(log_path).exists()
    assert verify(log_path).ok
    monkeypatch.setenv(ENV_AUDIT_KEY, "another-long-secret-from-elsewhere")
    result = verify(log_path)
    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert "another audit key" in (result.reason or "")
    with pytest.raises(AuditLogDamaged, match="signed with another key"):
        AuditLog(log_path, now=frozen_now).append({"kind": "intent"})


def test_a_short_environment_key_is_refused(log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_AUDIT_KEY, "short")
    with pytest.raises(AuditWriteError, match="too short"):
        AuditLog(log_path).append({"kind": "intent"})


def test_a_keyed_log_whose_key_is_lost_refuses_appends_and_is_unverified(log: AuditLog, log_path: Path) -> None:
    key_path(log_path).unlink()
    with pytest.raises(AuditWriteError, match="audit key is missing"):
        AuditLog(log_path, now=frozen_now).append({"kind": "intent"})
    assert not key_path(log_path).exists()  # never silently replaced by a new key
    result = verify(log_path, store=log.anchor)
    assert (result.ok, result.unverified, result.records) == (False, True, 6)
    assert "not checked" in (result.reason or "")


def test_every_append_is_anchored_in_the_store(log: AuditLog, log_path: Path, store: SQLiteStore) -> None:
    anchor = store.read_anchor(log_id(log_path))
    assert anchor is not None
    assert (anchor.seq, anchor.hash) == (6, records_of(log_path)[-1]["hash"])
    result = verify(log_path, store=store)
    assert (result.ok, result.records, result.keyed, result.anchor_checked, result.warning) == (True, 6, 6, True, None)


# -- tampering, each kind detected with the key ---------------------------------------------------------------


def test_a_dropped_tail_with_a_rewritten_head_is_caught_by_the_store(log: AuditLog, log_path: Path) -> None:
    kept = lines(log_path)[:4]
    write(log_path, kept)
    set_head(log_path, kept[-1])
    result = verify(log_path, store=log.anchor)
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "truncated" in (result.reason or "")
    with pytest.raises(AuditLogDamaged, match="store anchored"):
        AuditLog(log_path, now=frozen_now, anchor=log.anchor).append({"kind": "intent"})


def test_a_forged_record_appended_without_the_key_is_caught(log: AuditLog, log_path: Path) -> None:
    recs = records_of(log_path)
    forged = {**recs[-1], "seq": 7, "kind": "outcome", "tool": "delete_entry", "status": "ok"}
    (line,) = rechain([forged], OTHER_KEY.secret, prev=str(recs[-1]["hash"]))
    write(log_path, [*lines(log_path), line])
    set_head(log_path, line)
    result = verify(log_path, store=log.anchor)
    assert (result.ok, result.first_bad_seq) == (False, 7)
    assert "hash mismatch" in (result.reason or "")


def test_a_record_appended_with_the_key_but_behind_the_stores_back_is_caught(log: AuditLog, log_path: Path) -> None:
    recs = records_of(log_path)
    extra = [{**recs[-1], "seq": 7, "tool": "forged"}, {**recs[-1], "seq": 8, "tool": "forged"}]
    forged = rechain(extra, our_key(log_path), prev=str(recs[-1]["hash"]))
    write(log_path, [*lines(log_path), *forged])
    set_head(log_path, forged[-1])
    assert verify(log_path).ok  # the file alone is perfectly consistent: whoever did this read the key file
    result = verify(log_path, store=log.anchor)
    assert (result.ok, result.first_bad_seq) == (False, 7)
    assert "without updating the head anchored in the store" in (result.reason or "")


@pytest.mark.parametrize("key", [OTHER_KEY.secret, None], ids=["wrong key", "no key (v1)"])
def test_a_full_rechain_without_our_key_is_caught(log: AuditLog, log_path: Path, key: bytes | None) -> None:
    recs = records_of(log_path)
    recs[2] = {**recs[2], "args": {"i": 999}}
    forged = rechain(recs, key)
    write(log_path, forged)
    set_head(log_path, forged[-1])
    result = verify(log_path, store=log.anchor)
    assert not result.ok
    if key is not None:
        assert (result.first_bad_seq, result.reason) == (
            1,
            "hash mismatch — the record was edited (or signed with another audit key)",
        )
    else:  # an all-v1 log is structurally fine; the store still knows the real head
        assert "rewritten" in (result.reason or "")


def test_a_full_rechain_with_our_key_is_caught_by_the_store(log: AuditLog, log_path: Path) -> None:
    recs = records_of(log_path)
    recs[2] = {**recs[2], "args": {"i": 999}}
    forged = rechain(recs, our_key(log_path))
    write(log_path, forged)
    set_head(log_path, forged[-1])
    assert verify(log_path).ok
    result = verify(log_path, store=log.anchor)
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "the tail was rewritten" in (result.reason or "")


def test_deleting_the_log_and_its_head_is_caught_by_the_store(log: AuditLog, log_path: Path) -> None:
    log_path.unlink()
    head_path(log_path).unlink()
    assert verify(log_path).ok  # without the store, nothing says a log ever existed
    result = verify(log_path, store=log.anchor)
    assert not result.ok
    assert "the store's anchor says it held 6 records" in (result.reason or "")
    with pytest.raises(AuditLogDamaged, match="store's anchor says it held 6 records"):
        AuditLog(log_path, now=frozen_now, anchor=log.anchor).append({"kind": "intent"})


def test_an_edited_record_is_caught(log: AuditLog, log_path: Path) -> None:
    edited = lines(log_path)
    edited[3] = edited[3].replace('"i":3', '"i":4')
    write(log_path, edited)
    result = verify(log_path, store=log.anchor)
    assert (result.ok, result.first_bad_seq, result.first_bad_line) == (False, 4, 4)
    assert "edited" in (result.reason or "")


def test_reordered_records_are_caught(log: AuditLog, log_path: Path) -> None:
    swapped = lines(log_path)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    write(log_path, swapped)
    result = verify(log_path, store=log.anchor)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "reordered" in (result.reason or "")


def test_an_append_interrupted_before_the_store_anchor_is_accepted_and_repaired(
    log: AuditLog, log_path: Path, store: SQLiteStore
) -> None:
    before = store.read_anchor(log_id(log_path))
    assert before is not None
    AuditLog(log_path, now=frozen_now).append({"kind": "intent"})  # written and headed, but never anchored
    result = verify(log_path, store=store)
    assert result.ok
    assert "store's anchor is one record behind" in (result.warning or "")
    assert log.append({"kind": "outcome"}).seq == 8
    assert verify(log_path, store=store).warning is None


def test_an_append_interrupted_after_the_store_anchor_but_before_its_head_is_accepted_and_repaired(
    log: AuditLog, log_path: Path, store: SQLiteStore
) -> None:
    # The head file and the store's anchor are written at once: either may be the one a crash leaves behind.
    stale_head = head_path(log_path).read_bytes()
    log.append_together([{"kind": "intent"}, {"kind": "outcome"}])  # anchored in the store
    head_path(log_path).write_bytes(stale_head)
    result = verify(log_path, store=store)
    assert result.ok, result.reason
    assert result.warning is not None
    assert AuditLog(log_path, now=frozen_now, anchor=store).append({"kind": "intent"}).seq == 9
    assert verify(log_path, store=store).warning is None


# -- old, unkeyed logs ----------------------------------------------------------------------------------------


def write_v1_log(path: Path, count: int) -> None:
    """A log as the previous version wrote it: no "v", a plain SHA-256 chain, a head file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    recs = [{"seq": i + 1, "ts": "2025-03-14T09:26:53.589Z", "kind": "intent", "args": {"i": i}} for i in range(count)]
    chained = rechain(recs, None)
    write(path, chained)
    set_head(path, chained[-1])


def test_an_old_unkeyed_log_verifies_as_unkeyed_and_continues_keyed(log_path: Path, store: SQLiteStore) -> None:
    write_v1_log(log_path, 3)
    old = verify(log_path, store=store)
    assert (old.ok, old.unkeyed, old.keyed) == (True, 3, 0)
    assert "3 unkeyed (v1) record(s)" in (old.warning or "")
    assert "no anchor" in (old.warning or "")
    record = AuditLog(log_path, now=frozen_now, anchor=store).append({"kind": "intent"})
    assert (record.seq, record.data["v"]) == (4, 2)
    upgraded = verify(log_path, store=store)
    assert (upgraded.ok, upgraded.unkeyed, upgraded.keyed) == (True, 3, 1)


def test_an_unkeyed_record_after_keyed_ones_is_caught(log: AuditLog, log_path: Path) -> None:
    recs = records_of(log_path)
    downgraded = rechain([{**recs[-1], "seq": 7}], None, prev=str(recs[-1]["hash"]))
    write(log_path, [*lines(log_path), *downgraded])
    result = verify(log_path)
    assert (result.ok, result.first_bad_seq) == (False, 7)
    assert "unkeyed (v1) record after keyed ones" in (result.reason or "")


# -- torn lines and repair ------------------------------------------------------------------------------------


def tear(path: Path) -> bytes:
    """Cut the last record in half, as a crash mid-write would; returns the original bytes."""
    data = path.read_bytes()
    path.write_bytes(data + b'{"v":2,"seq":7,"ts":"2025-03-14T09:26:5')
    return data


def test_a_torn_line_is_detected_and_refuses_appends(log: AuditLog, log_path: Path) -> None:
    tear(log_path)
    result = verify(log_path, store=log.anchor)
    assert (result.ok, result.torn, result.first_bad_seq) == (False, True, 7)
    with pytest.raises(AuditLogDamaged, match="audit repair"):
        log.append({"kind": "intent"})


def test_repair_cuts_the_torn_line_keeps_a_copy_and_records_the_repair(log: AuditLog, log_path: Path) -> None:
    original = tear(log_path)
    torn = log_path.read_bytes()
    outcome = repair(log)
    assert outcome.changed
    assert outcome.copy is not None
    assert outcome.copy.read_bytes() == torn
    assert stat.S_IMODE(outcome.copy.stat().st_mode) == 0o600
    assert log_path.read_bytes().startswith(original)
    last = list(iter_records(log_path))[-1]
    assert (last["seq"], last["kind"]) == (7, "repair")
    assert last["repair"]["removed_bytes"] == len(torn) - len(original)
    assert last["repair"]["copy"] == str(outcome.copy)
    result = verify(log_path, store=log.anchor)
    assert (result.ok, result.records, result.warning) == (True, 7, None)
    assert log.append({"kind": "intent"}).seq == 8


def test_repair_leaves_an_intact_log_alone(log: AuditLog, log_path: Path) -> None:
    before = log_path.read_bytes()
    outcome = repair(log)
    assert not outcome.changed
    assert "nothing to repair" in outcome.message
    assert log_path.read_bytes() == before


def test_repair_refuses_a_torn_log_that_is_damaged_elsewhere_too(log: AuditLog, log_path: Path) -> None:
    edited = lines(log_path)
    edited[1] = edited[1].replace('"i":1', '"i":5')
    write(log_path, edited)
    tear(log_path)
    before = log_path.read_bytes()
    with pytest.raises(RepairRefused, match="only removes a torn last line"):
        repair(log)
    assert log_path.read_bytes() == before


def test_start_new_moves_a_damaged_log_aside_and_says_why_in_the_new_one(
    log: AuditLog, log_path: Path, store: SQLiteStore
) -> None:
    edited = lines(log_path)
    edited[1] = edited[1].replace('"i":1', '"i":5')
    write(log_path, edited)
    damaged = log_path.read_bytes()
    outcome = repair(log, start_new=True)
    assert outcome.copy is not None
    assert outcome.copy.read_bytes() == damaged
    assert head_path(outcome.copy).exists()
    (first,) = list(iter_records(log_path))
    assert (first["seq"], first["kind"]) == (1, "restart")
    assert first["restart"]["copy"] == str(outcome.copy)
    assert "edited" in first["restart"]["reason"]
    assert first["restart"]["anchored"]["seq"] == 6
    assert verify(log_path, store=store).ok


def test_start_new_after_the_log_was_deleted(log: AuditLog, log_path: Path, store: SQLiteStore) -> None:
    os.remove(log_path)
    os.remove(head_path(log_path))
    with pytest.raises(RepairRefused, match="start-new"):
        repair(log)
    outcome = repair(log, start_new=True)
    assert "missing" in outcome.message
    (first,) = list(iter_records(log_path))
    assert first["restart"]["copy"] is None
    assert verify(log_path, store=store).ok


def test_a_record_the_store_refuses_to_anchor_is_taken_back(log: AuditLog, log_path: Path, store: SQLiteStore) -> None:
    before, head_before = log_path.read_bytes(), head_path(log_path).read_bytes()
    store._connect().execute("PRAGMA query_only = ON")  # reads still work, every write fails: a read-only store
    with pytest.raises(AuditWriteError, match="could not be anchored in the store, so it was taken back"):
        log.append({"kind": "intent", "tool": "log_time"})
    assert (log_path.read_bytes(), head_path(log_path).read_bytes()) == (before, head_before)
    store._connect().execute("PRAGMA query_only = OFF")
    assert log.append({"kind": "intent"}).seq == 7
    assert verify(log_path, store=store).ok
