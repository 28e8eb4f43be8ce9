"""The SQLite store's own ways: a private WAL file, a schema that migrates itself from any older version, and failing
closed with the reason and the fix when the file cannot be written (`test_store.py` holds what every backend does)."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import SCHEMA_VERSION, SQLiteStore, StoreSchemaError, StoreUnavailable
from clockodo_mcp.store.sqlite import _SCHEMA_V1
from tests.store.helpers import new_change


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


def test_a_file_that_is_not_a_store_is_refused(path: Path) -> None:
    path.parent.mkdir()
    path.write_bytes(b"certainly not SQLite " * 100)
    with pytest.raises(StoreSchemaError, match="not a clockodo-mcp store"):
        SQLiteStore(path).schema_version()


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
