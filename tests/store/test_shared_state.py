"""What a shared endpoint keeps in the store: the people and their token hashes, who asked for each change, and the
rate budget every process shares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import NewChange, Principal, PrincipalExists, SQLiteStore, Store

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LIMITS = ((3, 60.0), (5, 3600.0))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def store(tmp_path: Path, clock: FrozenClock) -> Store:
    return SQLiteStore(tmp_path / "store.sqlite3", now=clock.now)


def person(name: str, token_hash: str) -> Principal:
    return Principal(
        name=name, api_user=f"{name}@example.com", key_sealed="sealed", token_hash=token_hash, created_at=NOW
    )


def test_a_principal_is_found_by_its_token_hash_until_it_is_removed(store: Store) -> None:
    store.add_principal(person("anna", "h-anna"))
    store.add_principal(person("ben", "h-ben"))

    found = store.find_principal("h-ben")
    assert found is not None
    assert found.name == "ben"
    assert found.api_user == "ben@example.com"
    assert [p.name for p in store.list_principals()] == ["anna", "ben"]
    assert store.remove_principal("ben") is True
    assert store.find_principal("h-ben") is None
    assert store.remove_principal("ben") is False


def test_a_principal_name_is_taken_once(store: Store) -> None:
    store.add_principal(person("anna", "h-1"))

    with pytest.raises(PrincipalExists, match="anna"):
        store.add_principal(person("anna", "h-2"))
    assert store.find_principal("h-2") is None


def test_a_change_names_the_principal_who_asked_for_it(store: Store) -> None:
    store.begin_change(
        NewChange(
            change_id="c1",
            tool="log_time",
            args={},
            before=None,
            planned=None,
            confirmed_by="token",
            principal="anna",
        )
    )

    change = store.get_change("c1")
    assert change is not None
    assert change.principal == "anna"
    assert [c.principal for c in store.list_changes()] == ["anna"]


def test_the_rate_budget_admits_up_to_each_window_then_says_how_long_to_wait(store: Store, clock: FrozenClock) -> None:
    assert [store.admit_request("anna@example.com", LIMITS) for _ in range(3)] == [0.0, 0.0, 0.0]

    assert store.admit_request("anna@example.com", LIMITS) == pytest.approx(60.0)
    clock.advance(20)
    assert store.admit_request("anna@example.com", LIMITS) == pytest.approx(40.0)
    assert store.admit_request("ben@example.com", LIMITS) == 0.0  # another Clockodo user has a budget of their own


def test_the_rate_budget_frees_room_as_requests_leave_the_window(store: Store, clock: FrozenClock) -> None:
    for _ in range(3):
        assert store.admit_request("anna@example.com", LIMITS) == 0.0
    clock.advance(61)
    assert store.admit_request("anna@example.com", LIMITS) == 0.0
    assert store.admit_request("anna@example.com", LIMITS) == 0.0
    # five in the hour now: the hour window is full until the first request leaves it
    assert store.admit_request("anna@example.com", LIMITS) == pytest.approx(3600.0 - 61.0)
