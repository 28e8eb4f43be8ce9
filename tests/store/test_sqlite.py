"""The SQLite store: WAL, a versioned schema, a nonce that is spent once across connections and processes, and
failing closed with the reason and the fix when the file cannot be written."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import (
    SCHEMA_VERSION,
    AlreadyUndone,
    NewChange,
    NonceSpent,
    SQLiteStore,
    StoreSchemaError,
    StoreUnavailable,
)
from clockodo_mcp.store.sqlite import _SCHEMA_V1
from tests.store._workers import spend

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=10)


def new_change(
    change_id: str,
    nonce: str | None = "n-1",
    tool: str = "log_time",
    expires: datetime = EXPIRES,
    undoes: str | None = None,
) -> NewChange:
    return NewChange(
        change_id=change_id,
        tool=tool,
        args={"change_id": undoes} if undoes else {"project": "Phoenix", "hours": 3},
        undoes=undoes,
        summary=f"Will do {change_id}.",
        before={"entries": []},
        planned={"action": "create entry"},
        confirmed_by="token" if nonce else "elicitation",
        nonce=nonce,
        nonce_expires_at=expires if nonce else None,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "store.sqlite3"


@pytest.fixture
def store(path: Path, clock: FrozenClock) -> SQLiteStore:
    return SQLiteStore(path, now=clock.now)


def test_a_new_store_is_a_private_wal_file_with_the_current_schema(store: SQLiteStore, path: Path) -> None:
    assert not path.exists()  # nothing is created until first use
    assert store.schema_version() == SCHEMA_VERSION == 4
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("SELECT version FROM schema_version ORDER BY version").fetchall() == [
            (1,),
            (2,),
            (3,),
            (4,),
        ]
        tables = {r[0] for r in other.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"schema_version", "nonces", "changes", "change_steps", "audit_anchor"} <= tables


def test_a_store_written_by_a_newer_version_is_refused(store: SQLiteStore, path: Path) -> None:
    store.schema_version()
    store.close()
    with sqlite3.connect(path) as other:
        other.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreSchemaError, match="schema version 5, newer than this clockodo-mcp knows") as info:
        SQLiteStore(path).schema_version()
    assert "Upgrade clockodo-mcp" in str(info.value)


def test_a_version_1_store_is_migrated_keeping_its_changes_and_gains_the_expectation(path: Path) -> None:
    from clockodo_mcp.store.sqlite import _SCHEMA_V1

    path.parent.mkdir()
    with sqlite3.connect(path) as old:
        old.executescript(_SCHEMA_V1 + "CREATE TABLE schema_version (version INTEGER NOT NULL);")
        old.execute("INSERT INTO schema_version (version) VALUES (1)")
        old.execute(
            "INSERT INTO changes (change_id, tool, args, before, planned, status, confirmed_by, created_at, updated_at)"
            " VALUES ('old', 'log_time', '{}', 'null', 'null', 'unknown', 'token', ?, ?)",
            ("2026-11-24T15:00:00.000000Z", "2026-11-24T15:00:00.000000Z"),
        )
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    change = store.get_change("old")
    assert change is not None
    assert (change.status, change.expect, change.owner) == ("unknown", None, None)
    store.begin_change(dataclasses.replace(new_change("new", nonce="n-new"), expect={"kind": "x"}, owner="h:1"))
    again = store.get_change("new")
    assert again is not None
    assert (again.expect, again.owner) == ({"kind": "x"}, "h:1")
    store.close()


def test_an_outcome_recorded_only_if_still_unsettled_never_overwrites_another(store: SQLiteStore) -> None:
    store.begin_change(new_change("c-1", nonce="n-1"))
    store.finish_change("c-1", "applied", result={"by": "the first"})
    assert not store.finish_change("c-1", "not_applied", only_if=("applying", "unknown"))
    change = store.get_change("c-1")
    assert change is not None
    assert (change.status, change.result) == ("applied", {"by": "the first"})


def test_a_file_that_is_not_a_store_is_refused(path: Path) -> None:
    path.parent.mkdir()
    path.write_bytes(b"certainly not SQLite " * 100)
    with pytest.raises(StoreSchemaError, match="not a clockodo-mcp store"):
        SQLiteStore(path).schema_version()


def test_a_nonce_is_spent_once_across_two_connections(path: Path, clock: FrozenClock) -> None:
    first, second = SQLiteStore(path, now=clock.now), SQLiteStore(path, now=clock.now)
    first.begin_change(new_change("c-1"))
    clock.advance(5)
    with pytest.raises(NonceSpent) as info:
        second.begin_change(new_change("c-2"))
    spent = info.value.spent
    assert (spent.change_id, spent.tool, spent.spent_at, spent.expires_at) == ("c-1", "log_time", NOW, EXPIRES)
    assert second.get_change("c-2") is None  # the refused spend recorded nothing
    assert second.spent_nonce("n-1") == spent


def test_threads_sharing_one_store_and_threads_with_their_own_spend_a_nonce_once(
    path: Path, clock: FrozenClock
) -> None:
    shared = SQLiteStore(path, now=clock.now)
    shared.schema_version()
    stores = [shared] * 4 + [SQLiteStore(path, now=clock.now) for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(stores))

    def attempt(i: int, store: SQLiteStore) -> None:
        barrier.wait(timeout=30)
        try:
            store.begin_change(new_change(f"c-{i}"))
            outcomes.append("won")
        except NonceSpent:
            outcomes.append("spent")

    threads = [threading.Thread(target=attempt, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["spent"] * 7 + ["won"]
    assert len(shared.list_changes()) == 1


def test_processes_racing_for_one_nonce_let_exactly_one_spend_it(path: Path) -> None:
    SQLiteStore(path).schema_version()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        results = manager.dict()
        barrier = manager.Barrier(4)
        procs = [ctx.Process(target=spend, args=(str(path), w, "n-race", barrier, results)) for w in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        outcome = dict(results)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    winners = [w for w, result in outcome.items() if result == "won"]
    assert len(winners) == 1
    assert sorted(v for w, v in outcome.items() if w not in winners) == [f"spent by change-{winners[0]}"] * 3


def test_a_write_confirmed_without_a_token_is_journalled_without_a_nonce(store: SQLiteStore) -> None:
    store.begin_change(new_change("c-1", nonce=None))
    store.begin_change(new_change("c-2", nonce=None))
    assert [c.change_id for c in store.list_changes()] == ["c-2", "c-1"]
    change = store.get_change("c-1")
    assert change is not None
    assert (change.nonce, change.confirmed_by, change.status) == (None, "elicitation", "applying")


def test_a_change_is_recorded_applying_then_finished_with_its_result(store: SQLiteStore, clock: FrozenClock) -> None:
    store.begin_change(new_change("c-1"))
    change = store.get_change("c-1")
    assert change is not None
    assert (change.status, change.args, change.before, change.planned) == (
        "applying",
        {"hours": 3, "project": "Phoenix"},
        {"entries": []},
        {"action": "create entry"},
    )
    clock.advance(2)
    store.finish_change("c-1", "applied", result={"after": {"id": 9}}, undo={"kind": "delete_created", "id": 9})
    done = store.get_change("c-1")
    assert done is not None
    assert (done.status, done.result, done.undo, done.error) == (
        "applied",
        {"after": {"id": 9}},
        {"kind": "delete_created", "id": 9},
        None,
    )
    assert (done.created_at, done.updated_at) == (NOW, NOW + timedelta(seconds=2))


def test_finishing_an_unknown_change_or_with_applying_is_an_error(store: SQLiteStore) -> None:
    store.begin_change(new_change("c-1"))
    with pytest.raises(ValueError, match="not a final change status"):
        store.finish_change("c-1", "applying")
    with pytest.raises(Exception, match="no change nope"):
        store.finish_change("nope", "applied")


def test_steps_of_a_multi_step_write_are_recorded_and_updated(store: SQLiteStore) -> None:
    store.begin_change(new_change("c-1", tool="set_billing_state"))
    store.record_step("c-1", 1, "mass edit", "applying", {"entries": 21})
    store.record_step("c-1", 2, "per-entry updates", "applying")
    store.record_step("c-1", 1, "mass edit", "applied", {"entries": 21, "edited": 21})
    change = store.get_change("c-1")
    assert change is not None
    assert [(s.index, s.name, s.status, s.detail) for s in change.steps] == [
        (1, "mass edit", "applied", {"edited": 21, "entries": 21}),
        (2, "per-entry updates", "applying", None),
    ]


def test_changes_are_listed_newest_first_and_filtered(store: SQLiteStore, clock: FrozenClock) -> None:
    for i, tool in enumerate(["log_time", "edit_entry", "log_time"]):
        store.begin_change(new_change(f"c-{i}", nonce=f"n-{i}", tool=tool))
        clock.advance(1)
    store.finish_change("c-0", "applied")
    store.finish_change("c-1", "unknown", error="timeout")
    assert [c.change_id for c in store.list_changes()] == ["c-2", "c-1", "c-0"]
    assert [c.change_id for c in store.list_changes(limit=1)] == ["c-2"]
    assert [c.change_id for c in store.list_changes(tool="log_time")] == ["c-2", "c-0"]
    assert [c.change_id for c in store.list_changes(statuses=("applying", "unknown"))] == ["c-2", "c-1"]


def test_changes_are_paged_newest_first_and_counted_with_the_same_filters(
    store: SQLiteStore, clock: FrozenClock
) -> None:
    for i in range(5):
        store.begin_change(new_change(f"c-{i}", nonce=f"n-{i}", tool="log_time" if i % 2 else "edit_entry"))
        clock.advance(1)
    assert [c.change_id for c in store.list_changes(limit=2, offset=1)] == ["c-3", "c-2"]
    assert [c.change_id for c in store.list_changes(limit=2, offset=4)] == ["c-0"]
    assert store.count_changes() == 5
    assert store.count_changes(tool="log_time") == 2
    assert [c.change_id for c in store.list_changes(tool="log_time", offset=1)] == ["c-1"]
    assert store.count_changes(statuses=("applied",)) == 0
    assert store.list_changes()[0].summary == "Will do c-4."


def test_an_undo_is_linked_to_the_change_it_reverts_and_a_second_live_undo_is_refused(
    store: SQLiteStore, clock: FrozenClock
) -> None:
    store.begin_change(new_change("c-1", nonce="n-1"))
    store.finish_change("c-1", "applied", undo={"kind": "delete_entry", "version": 1})
    clock.advance(1)
    store.begin_change(new_change("u-1", nonce="n-2", tool="undo", undoes="c-1"))
    store.finish_change("u-1", "failed", error="Clockodo refused it")
    assert store.get_change("c-1").undone_by is None  # type: ignore[union-attr]  # a failed undo undid nothing
    store.begin_change(new_change("u-2", nonce="n-3", tool="undo", undoes="c-1"))
    with pytest.raises(AlreadyUndone, match="already undone by change u-2 \\(applying\\)") as refused:
        store.begin_change(new_change("u-3", nonce="n-4", tool="undo", undoes="c-1"))
    assert (refused.value.target, refused.value.by.change_id, refused.value.by.created_at) == (
        "c-1",
        "u-2",
        NOW + timedelta(seconds=1),
    )
    assert store.spent_nonce("n-4") is None  # the refused undo spent nothing
    store.finish_change("u-2", "applied")
    change = store.get_change("c-1")
    assert change is not None
    assert change.undone_by is not None
    assert (change.undone_by.change_id, change.undone_by.status) == ("u-2", "applied")
    listed = {c.change_id: c for c in store.list_changes()}
    assert listed["c-1"].undone_by == change.undone_by
    assert (listed["u-2"].undoes, listed["u-1"].undoes, listed["u-2"].undone_by) == ("c-1", "c-1", None)


def test_the_journal_itself_holds_at_most_one_live_undo_per_change(store: SQLiteStore, path: Path) -> None:
    store.begin_change(new_change("u-1", nonce=None, tool="undo", undoes="c-1"))
    store.close()
    row = "('u-2', 'undo', '{}', 'null', 'null', 'unknown', 'token', 'c-1', 't', 't')"
    with sqlite3.connect(path) as other, pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        other.execute(
            "INSERT INTO changes (change_id, tool, args, before, planned, status, confirmed_by, undoes, created_at,"
            f" updated_at) VALUES {row}"
        )


def test_a_version_1_store_is_migrated_keeping_its_changes_and_linking_its_undos(path: Path) -> None:
    path.parent.mkdir(mode=0o700)
    stamp = "2026-11-24T15:00:00.000000Z"
    with sqlite3.connect(path) as v1:
        v1.executescript(_SCHEMA_V1)
        v1.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        v1.execute("INSERT INTO schema_version (version) VALUES (1)")
        for change_id, tool, args, status in [
            ("c-1", "log_time", '{"project":"Phoenix"}', "applied"),
            ("u-1", "undo", '{"change_id":"c-1"}', "applied"),
            ("u-2", "undo", '{"change_id":"c-1"}', "applied"),  # v1 let a second process undo it too
        ]:
            v1.execute(
                "INSERT INTO changes (change_id, tool, args, before, planned, status, confirmed_by, created_at,"
                " updated_at) VALUES (?, ?, ?, 'null', 'null', ?, 'token', ?, ?)",
                (change_id, tool, args, status, stamp, stamp),
            )
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    change = store.get_change("c-1")
    assert change is not None
    assert change.undone_by is not None
    assert change.undone_by.change_id == "u-1"
    assert [(c.change_id, c.undoes) for c in store.list_changes()] == [("u-2", None), ("u-1", "c-1"), ("c-1", None)]
    assert store.count_changes() == 3


def test_spent_nonces_are_kept_past_expiry_and_purged_a_day_later(store: SQLiteStore, clock: FrozenClock) -> None:
    store.begin_change(new_change("c-1"))
    clock.advance(timedelta(minutes=10, hours=23).total_seconds())
    store.begin_change(new_change("c-2", nonce="n-2", expires=clock.now() + timedelta(minutes=10)))
    kept = store.spent_nonce("n-1")  # expired, but kept in case the clock steps back
    assert kept is not None
    assert kept.expires_at == EXPIRES
    clock.advance(timedelta(hours=2).total_seconds())
    store.begin_change(new_change("c-3", nonce="n-3", expires=clock.now() + timedelta(minutes=10)))
    assert store.spent_nonce("n-2") is not None
    # The ledger row is gone; the journal still knows which change spent the nonce.
    purged = store.spent_nonce("n-1")
    assert purged is not None
    assert (purged.change_id, purged.expires_at) == ("c-1", None)
    with pytest.raises(NonceSpent):
        store.begin_change(new_change("c-4", nonce="n-1"))


def test_the_audit_anchor_is_kept_per_log(store: SQLiteStore, clock: FrozenClock) -> None:
    assert store.read_anchor("/logs/a.jsonl") is None
    store.write_anchor("/logs/a.jsonl", 3, "a" * 64)
    clock.advance(1)
    store.write_anchor("/logs/a.jsonl", 4, "b" * 64)
    store.write_anchor("/logs/b.jsonl", 1, "c" * 64)
    anchor = store.read_anchor("/logs/a.jsonl")
    assert anchor is not None
    assert (anchor.seq, anchor.hash, anchor.updated_at) == (4, "b" * 64, NOW + timedelta(seconds=1))


def test_a_closed_store_reopens_on_the_next_use(store: SQLiteStore) -> None:
    store.begin_change(new_change("c-1"))
    store.close()
    assert store.get_change("c-1") is not None


def test_a_store_under_a_regular_file_fails_closed_with_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file")
    store = SQLiteStore(blocker / "store.sqlite3")
    with pytest.raises(StoreUnavailable) as info:
        store.begin_change(new_change("c-1"))
    message = str(info.value)
    assert str(blocker / "store.sqlite3") in message
    assert "CLOCKODO_MCP_STORE" in message
    info_ = store.info()
    assert (info_.writable, info_.problem is not None) == (False, True)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_store_file_fails_closed(store: SQLiteStore, path: Path) -> None:
    store.schema_version()
    store.close()
    for leftover in path.parent.glob("store.sqlite3-*"):
        leftover.unlink()
    path.chmod(0o400)
    try:
        with pytest.raises(StoreUnavailable, match="CLOCKODO_MCP_STORE"):
            SQLiteStore(path).begin_change(new_change("c-1"))
    finally:
        path.chmod(0o600)


def test_info_reports_the_schema_writability_and_unsettled_changes(store: SQLiteStore) -> None:
    store.begin_change(new_change("c-1", nonce="n-1"))
    store.begin_change(new_change("c-2", nonce="n-2"))
    store.begin_change(new_change("c-3", nonce="n-3"))
    store.finish_change("c-1", "applied")
    store.finish_change("c-2", "unknown", error="the answer was lost")
    info = store.info()
    assert (info.schema_version, info.writable, info.problem) == (SCHEMA_VERSION, True, None)
    assert [(c.change_id, c.status) for c in info.unsettled] == [("c-3", "applying"), ("c-2", "unknown")]
