"""Readers: tail, list_changes and find_change, newest first, from the end of the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clockodo_mcp.audit import AuditLog, find_change, iter_records, iter_records_reversed, list_changes, tail

MakeLog = Callable[[int], AuditLog]


def write_call(log: AuditLog, n: int, tool: str, change_id: str | None = None) -> None:
    log.append({"kind": "intent", "call_id": f"c{n}", "tool": tool, "args": {"n": n}})
    outcome: dict[str, object] = {"kind": "outcome", "call_id": f"c{n}", "tool": tool, "status": "ok"}
    if change_id:
        outcome["change"] = {"change_id": change_id, "before": {"h": 1}, "after": {"h": 2}, "ids": [n]}
    log.append(outcome)


def test_tail_returns_the_last_n_records_oldest_first(make_log: MakeLog, log_path: Path) -> None:
    make_log(7)
    assert [r["seq"] for r in tail(log_path, 3)] == [5, 6, 7]
    assert [r["seq"] for r in tail(log_path, 100)] == list(range(1, 8))
    assert tail(log_path, 0) == []


def test_tail_filters_by_tool(make_log: MakeLog, log_path: Path) -> None:
    log = make_log(0)
    for n, tool in enumerate(["a", "b", "a", "b", "a"]):
        write_call(log, n, tool)
    picked = tail(log_path, 2, tool="b")
    assert [(r["tool"], r["args"] if r["kind"] == "intent" else None) for r in picked] == [
        ("b", {"n": 3}),
        ("b", None),
    ]


def test_readers_see_nothing_when_the_log_does_not_exist(log_path: Path) -> None:
    assert tail(log_path) == []
    assert list(iter_records(log_path)) == []
    assert list(iter_records_reversed(log_path)) == []
    assert list_changes(log_path) == []
    assert find_change(log_path, "x") is None


def test_list_changes_returns_confirmed_write_outcomes_newest_first(make_log: MakeLog, log_path: Path) -> None:
    log = make_log(0)
    write_call(log, 1, "log_time", change_id="ch-1")
    write_call(log, 2, "unbilled_hours")
    write_call(log, 3, "set_rate", change_id="ch-3")
    log.append({"kind": "outcome", "tool": "set_rate", "status": "preview", "change": {"change_id": "p"}})
    assert [r["change"]["change_id"] for r in list_changes(log_path)] == ["ch-3", "ch-1"]
    assert [r["change"]["change_id"] for r in list_changes(log_path, limit=1)] == ["ch-3"]
    assert list_changes(log_path, limit=0) == []


def test_find_change_returns_the_write_outcome_with_that_change_id(make_log: MakeLog, log_path: Path) -> None:
    log = make_log(0)
    write_call(log, 1, "log_time", change_id="ch-1")
    write_call(log, 2, "set_rate", change_id="ch-2")
    found = find_change(log_path, "ch-1")
    assert found is not None
    assert found["tool"] == "log_time"
    assert found["change"]["ids"] == [1]
    assert find_change(log_path, "nope") is None


def test_readers_skip_damaged_lines(make_log: MakeLog, log_path: Path) -> None:
    make_log(3)
    with log_path.open("ab") as f:
        f.write(b"garbage\n\n")
    assert [r["seq"] for r in iter_records(log_path)] == [1, 2, 3]
    assert [r["seq"] for r in iter_records_reversed(log_path)] == [3, 2, 1]


def test_reverse_reading_crosses_chunk_boundaries(make_log: MakeLog, log_path: Path) -> None:
    log = make_log(0)
    for n in range(40):
        log.append({"kind": "outcome", "tool": "t", "args": {"pad": "y" * (5_000 + n)}})
    assert [r["seq"] for r in iter_records_reversed(log_path)] == list(range(40, 0, -1))
