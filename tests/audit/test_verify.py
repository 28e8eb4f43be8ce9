"""verify: a clean log passes, and every kind of tampering is caught at the right record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from clockodo_mcp.audit import AuditLog, load_key, record_hash, verify
from clockodo_mcp.audit.files import head_path

MakeLog = Callable[[int], AuditLog]


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines), encoding="utf-8")


def rehash(rec: dict[str, object], prev_hash: str, log_path: Path) -> str:
    """A consistently forged record: correct prev_hash and MAC, as an attacker who read the key file would write it.

    These tests are about the chain's structure; forging without the key is in test_keyed.py.
    """
    key = load_key(log_path)
    assert key is not None
    rec["prev_hash"] = prev_hash
    rec.pop("hash", None)
    rec["hash"] = record_hash(rec, key.secret)
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_clean_log_verifies(make_log: MakeLog, log_path: Path) -> None:
    make_log(10)
    result = verify(log_path)
    assert result.ok
    assert result.records == 10
    assert (result.first_bad_seq, result.first_bad_line, result.reason) == (None, None, None)


def test_missing_log_verifies_as_empty(log_path: Path) -> None:
    result = verify(log_path)
    assert result.ok
    assert result.records == 0
    assert not result.exists


def test_intent_without_outcome_still_verifies(make_log: MakeLog, log_path: Path) -> None:
    log = make_log(4)
    # A crash between intent and outcome: the intent is stored, the outcome never comes.
    log.append({"kind": "intent", "call_id": "crashed", "tool": "log_time", "write": True, "args": {}})
    result = verify(log_path)
    assert result.ok
    assert result.records == 5


def test_edited_field_is_caught_at_its_record(make_log: MakeLog, log_path: Path) -> None:
    make_log(6)
    lines = read_lines(log_path)
    lines[3] = lines[3].replace('"i":3', '"i":30')
    write_lines(log_path, lines)
    result = verify(log_path)
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_line) == (4, 4)
    assert result.reason is not None
    assert "edited" in result.reason


def test_deleted_middle_record_is_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(6)
    lines = read_lines(log_path)
    del lines[2]
    write_lines(log_path, lines)
    result = verify(log_path)
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_line) == (3, 3)
    assert result.reason is not None
    assert "deleted" in result.reason


def test_swapped_records_are_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(6)
    lines = read_lines(log_path)
    lines[1], lines[2] = lines[2], lines[1]
    write_lines(log_path, lines)
    result = verify(log_path)
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_line) == (2, 2)
    assert result.reason is not None
    assert "reordered" in result.reason


def test_truncated_trailing_records_are_caught_by_the_head(make_log: MakeLog, log_path: Path) -> None:
    make_log(6)
    write_lines(log_path, read_lines(log_path)[:4])
    result = verify(log_path)
    assert not result.ok
    assert result.records == 4
    assert result.first_bad_seq == 5
    assert result.reason is not None
    assert "truncated" in result.reason


def test_last_line_cut_mid_record_is_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(3)
    log_path.write_bytes(log_path.read_bytes()[:-20])
    result = verify(log_path)
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_line) == (3, 3)


def test_whole_log_truncated_to_nothing_is_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(3)
    log_path.write_bytes(b"")
    result = verify(log_path)
    assert not result.ok
    assert result.first_bad_seq == 1


def test_deleted_log_file_with_a_head_left_behind_is_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(3)
    log_path.unlink()
    result = verify(log_path)
    assert not result.ok
    assert result.reason is not None
    assert "missing" in result.reason


def test_inserted_forged_line_is_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(5)
    lines = read_lines(log_path)
    forged = json.loads(lines[1])
    forged["tool"] = "delete_everything"
    lines.insert(2, json.dumps(forged) + "\n")
    write_lines(log_path, lines)
    result = verify(log_path)
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_line) == (3, 3)


def test_inserted_record_with_a_valid_hash_is_caught_by_the_sequence(make_log: MakeLog, log_path: Path) -> None:
    make_log(5)
    lines = read_lines(log_path)
    prev = json.loads(lines[1])
    forged: dict[str, object] = {**prev, "seq": 3, "tool": "forged"}
    lines.insert(2, rehash(forged, str(prev["hash"]), log_path))
    write_lines(log_path, lines)
    result = verify(log_path)
    assert not result.ok
    # The forgery itself is self-consistent; the chain breaks at the genuine record it displaced.
    assert (result.first_bad_seq, result.first_bad_line) == (4, 4)


def test_blank_line_is_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(3)
    lines = read_lines(log_path)
    lines.insert(1, "\n")
    write_lines(log_path, lines)
    result = verify(log_path)
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_line) == (2, 2)


def test_line_that_is_not_json_is_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(3)
    lines = read_lines(log_path)
    lines[0] = "hello\n"
    write_lines(log_path, lines)
    result = verify(log_path)
    assert (result.ok, result.first_bad_seq, result.first_bad_line) == (False, 1, 1)


def test_duplicate_keys_are_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(2)
    lines = read_lines(log_path)
    lines[1] = lines[1].replace('"seq":2,', '"seq":2,"seq":2,', 1)
    write_lines(log_path, lines)
    result = verify(log_path)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_edited_prev_hash_is_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(3)
    lines = read_lines(log_path)
    rec = json.loads(lines[1])
    lines[1] = rehash(rec, "f" * 64, log_path)
    write_lines(log_path, lines)
    result = verify(log_path)
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert result.reason is not None
    assert "prev_hash" in result.reason


def test_consistently_rewritten_tail_is_caught_by_the_stale_head(make_log: MakeLog, log_path: Path) -> None:
    make_log(6)
    lines = read_lines(log_path)
    prev_hash = json.loads(lines[2])["hash"]
    for i in range(3, 6):  # edit record 4, then re-chain 4..6 so every hash and link is correct again
        rec = json.loads(lines[i])
        if i == 3:
            rec["args"] = {"i": 999}
        lines[i] = rehash(rec, prev_hash, log_path)
        prev_hash = rec["hash"]
    write_lines(log_path, lines)
    result = verify(log_path)
    assert not result.ok
    assert result.first_bad_seq == 6
    assert result.reason is not None
    assert "rewritten" in result.reason


def test_records_appended_behind_the_heads_back_are_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(2)
    stale_head = head_path(log_path).read_bytes()
    make_log(3)
    head_path(log_path).write_bytes(stale_head)
    result = verify(log_path)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_missing_head_is_reported(make_log: MakeLog, log_path: Path) -> None:
    make_log(2)
    head_path(log_path).unlink()
    result = verify(log_path)
    assert not result.ok
    assert result.reason is not None
    assert "head anchor" in result.reason


@pytest.mark.parametrize("content", ["{nope", '{"seq": "x"}', "[]"])
def test_unreadable_head_is_reported(make_log: MakeLog, log_path: Path, content: str) -> None:
    make_log(2)
    head_path(log_path).write_text(content)
    result = verify(log_path)
    assert not result.ok
    assert result.reason is not None
    assert "unreadable" in result.reason


def test_record_without_an_integer_seq_is_caught(make_log: MakeLog, log_path: Path) -> None:
    make_log(2)
    lines = read_lines(log_path)
    lines[1] = lines[1].replace('"seq":2,', '"seq":"2",', 1)
    write_lines(log_path, lines)
    assert (verify(log_path).ok, verify(log_path).first_bad_seq) == (False, 2)


def test_empty_log_file_without_a_head_verifies(log_path: Path) -> None:
    log_path.parent.mkdir()
    log_path.write_bytes(b"")
    result = verify(log_path)
    assert (result.ok, result.records, result.exists) == (True, 0, True)
