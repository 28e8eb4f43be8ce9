"""The journal filtered by principal, on every backend: what a person of a shared endpoint lists (`list_changes`,
`clockodo://changes`)."""

from __future__ import annotations

import dataclasses

from clockodo_mcp.store import Store
from tests.store.helpers import new_change


def journalled(store: Store, change_id: str, principal: str | None, tool: str = "log_time") -> None:
    store.begin_change(dataclasses.replace(new_change(change_id, nonce=None, tool=tool), principal=principal))


def test_changes_are_listed_and_counted_per_principal(store: Store) -> None:
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
