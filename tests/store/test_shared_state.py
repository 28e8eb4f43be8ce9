"""What a shared endpoint keeps in the store: the people and their token hashes, who asked for each change, and the
rate budget every process shares."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable

import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import NewChange, Principal, PrincipalExists, Store
from tests.store._workers import add_principal, admit
from tests.store.helpers import NOW

LIMITS = ((3, 60.0), (5, 3600.0))


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


def test_threads_of_two_stores_admit_exactly_the_budget_between_them(open_same: Callable[[], Store]) -> None:
    stores = [open_same(), open_same()]
    admitted: list[bool] = []
    barrier = threading.Barrier(6)

    def ask(store: Store) -> None:
        barrier.wait(timeout=30)
        for _ in range(20):
            admitted.append(store.admit_request("anna@example.com", ((50, 60.0),)) == 0.0)

    threads = [threading.Thread(target=ask, args=(stores[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert admitted.count(True) == 50
    assert len(admitted) == 120


def test_processes_sharing_the_budget_admit_exactly_its_limit(store_url: str, store: Store) -> None:
    store.schema_version()  # an SQLite store is created before the processes open it
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        results = manager.dict()
        barrier = manager.Barrier(3)
        procs = [ctx.Process(target=admit, args=(store_url, w, 50, ((100, 60.0),), barrier, results)) for w in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        admitted = dict(results)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert sum(admitted.values()) == 100
    assert store.admit_request("anna@example.com", ((100, 60.0),)) == pytest.approx(60.0)


def test_processes_adding_one_principal_at_once_add_it_once(store_url: str, store: Store) -> None:
    store.schema_version()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        results = manager.dict()
        barrier = manager.Barrier(4)
        procs = [ctx.Process(target=add_principal, args=(store_url, w, barrier, results)) for w in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        outcome = dict(results)
    assert [p.exitcode for p in procs] == [0] * 4
    assert sorted(outcome.values()) == ["added", "exists", "exists", "exists"]
    (winner,) = [w for w, result in outcome.items() if result == "added"]
    (anna,) = store.list_principals()
    assert (anna.name, anna.token_hash) == ("anna", f"h-{winner}")
    assert [store.find_principal(f"h-{w}") is not None for w in range(4)] == [w == winner for w in range(4)]
