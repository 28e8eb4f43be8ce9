"""The journal filtered by principal: what a person of a shared endpoint lists (`list_changes`, `changes`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from clockodo_mcp.store import NewChange, SQLiteStore

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def journalled(store: SQLiteStore, change_id: str, principal: str | None, tool: str = "log_time") -> None:
    store.begin_change(
        NewChange(
            change_id=change_id,
            tool=tool,
            args={},
            before=None,
            planned=None,
            confirmed_by="token",
            principal=principal,
        )
    )


def test_changes_are_listed_and_counted_per_principal(tmp_path: Path):
    store = SQLiteStore(tmp_path / "store.sqlite3", now=lambda: NOW)
    journalled(store, "a1", "anna")
    journalled(store, "b1", "bert")
    journalled(store, "a2", "anna", tool="edit_entry")
    journalled(store, "s1", None)
    assert {c.change_id for c in store.list_changes(principal="anna")} == {"a1", "a2"}
    assert store.count_changes(principal="anna") == 2
    assert [c.change_id for c in store.list_changes(principal="anna", tool="edit_entry")] == ["a2"]
    assert store.count_changes(principal="anna", statuses=("applied",)) == 0
    assert store.count_changes(principal="nobody") == 0
    assert store.count_changes() == 4  # no principal: everybody's
    assert {c.principal for c in store.list_changes()} == {"anna", "bert", None}
