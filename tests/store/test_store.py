"""The store's semantics, the same on every backend (an SQLite file, a PostgreSQL schema): a nonce spent once across
connections, threads and processes, the journal of changes and their steps, the one live undo per change, the nonce
ledger's retention, the audit anchor, and what `doctor` is told."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import AlreadyUndone, NewChange, NonceSpent, Store, StoreError
from tests.store._workers import spend
from tests.store.helpers import EXPIRES, NOW, new_change

# Processes racing for one nonce: PostgreSQL must hold with many replicas, SQLite with the processes of one machine.
SPENDERS = {"sqlite": 4, "postgresql": 20}


def test_an_outcome_recorded_only_if_still_unsettled_never_overwrites_another(store: Store) -> None:
    store.begin_change(new_change("c-1", nonce="n-1"))
    store.finish_change("c-1", "applied", result={"by": "the first"})
    assert not store.finish_change("c-1", "not_applied", only_if=("applying", "unknown"))
    change = store.get_change("c-1")
    assert change is not None
    assert (change.status, change.result) == ("applied", {"by": "the first"})


def test_a_nonce_is_spent_once_across_two_connections(open_same: Callable[[], Store], clock: FrozenClock) -> None:
    first, second = open_same(), open_same()
    first.begin_change(new_change("c-1"))
    clock.advance(5)
    with pytest.raises(NonceSpent) as info:
        second.begin_change(new_change("c-2"))
    spent = info.value.spent
    assert (spent.change_id, spent.tool, spent.spent_at, spent.expires_at) == ("c-1", "log_time", NOW, EXPIRES)
    assert second.get_change("c-2") is None  # the refused spend recorded nothing
    assert second.spent_nonce("n-1") == spent


def test_threads_sharing_one_store_and_threads_with_their_own_spend_a_nonce_once(
    open_same: Callable[[], Store],
) -> None:
    shared = open_same()
    shared.schema_version()
    stores = [shared] * 4 + [open_same() for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(stores))

    def attempt(i: int, store: Store) -> None:
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


def test_processes_racing_for_one_nonce_let_exactly_one_spend_it(store_url: str, backend: str) -> None:
    spenders = SPENDERS[backend]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        results = manager.dict()
        barrier = manager.Barrier(spenders)
        procs = [ctx.Process(target=spend, args=(store_url, w, "n-race", barrier, results)) for w in range(spenders)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        outcome = dict(results)
    assert [p.exitcode for p in procs] == [0] * spenders
    winners = [w for w, result in outcome.items() if result == "won"]
    assert len(winners) == 1
    assert sorted(v for w, v in outcome.items() if w not in winners) == [f"spent by change-{winners[0]}"] * (
        spenders - 1
    )


def test_a_write_confirmed_without_a_token_is_journalled_without_a_nonce(store: Store) -> None:
    store.begin_change(new_change("c-1", nonce=None))
    store.begin_change(new_change("c-2", nonce=None))
    assert [c.change_id for c in store.list_changes()] == ["c-2", "c-1"]
    change = store.get_change("c-1")
    assert change is not None
    assert (change.nonce, change.confirmed_by, change.status) == (None, "elicitation", "applying")


def test_a_change_is_recorded_applying_then_finished_with_its_result(store: Store, clock: FrozenClock) -> None:
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


def test_finishing_an_unknown_change_or_with_applying_is_an_error(store: Store) -> None:
    store.begin_change(new_change("c-1"))
    with pytest.raises(ValueError, match="not a final change status"):
        store.finish_change("c-1", "applying")
    with pytest.raises(Exception, match="no change nope"):
        store.finish_change("nope", "applied")


def test_steps_of_a_multi_step_write_are_recorded_and_updated(store: Store) -> None:
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


def test_changes_are_listed_newest_first_and_filtered(store: Store, clock: FrozenClock) -> None:
    for i, tool in enumerate(["log_time", "edit_entry", "log_time"]):
        store.begin_change(new_change(f"c-{i}", nonce=f"n-{i}", tool=tool))
        clock.advance(1)
    store.finish_change("c-0", "applied")
    store.finish_change("c-1", "unknown", error="timeout")
    assert [c.change_id for c in store.list_changes()] == ["c-2", "c-1", "c-0"]
    assert [c.change_id for c in store.list_changes(limit=1)] == ["c-2"]
    assert [c.change_id for c in store.list_changes(tool="log_time")] == ["c-2", "c-0"]
    assert [c.change_id for c in store.list_changes(statuses=("applying", "unknown"))] == ["c-2", "c-1"]


def test_changes_are_paged_newest_first_and_counted_with_the_same_filters(store: Store, clock: FrozenClock) -> None:
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
    store: Store, clock: FrozenClock
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


def test_spent_nonces_are_kept_past_expiry_and_purged_a_day_later(store: Store, clock: FrozenClock) -> None:
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


def test_the_audit_anchor_is_kept_per_log(store: Store, clock: FrozenClock) -> None:
    assert store.read_anchor("/logs/a.jsonl") is None
    store.write_anchor("/logs/a.jsonl", 3, "a" * 64)
    clock.advance(1)
    store.write_anchor("/logs/a.jsonl", 4, "b" * 64)
    store.write_anchor("/logs/b.jsonl", 1, "c" * 64)
    anchor = store.read_anchor("/logs/a.jsonl")
    assert anchor is not None
    assert (anchor.seq, anchor.hash, anchor.updated_at) == (4, "b" * 64, NOW + timedelta(seconds=1))


def test_a_closed_store_reopens_on_the_next_use(store: Store) -> None:
    store.begin_change(new_change("c-1"))
    store.close()
    assert store.get_change("c-1") is not None


def test_info_reports_the_schema_writability_and_unsettled_changes(store: Store) -> None:
    store.begin_change(new_change("c-1", nonce="n-1"))
    store.begin_change(new_change("c-2", nonce="n-2"))
    store.begin_change(new_change("c-3", nonce="n-3"))
    store.finish_change("c-1", "applied")
    store.finish_change("c-2", "unknown", error="the answer was lost")
    info = store.info()
    assert (info.schema_version, info.writable, info.problem) == (store.schema_version(), True, None)
    assert info.location == store.location
    assert [(c.change_id, c.status) for c in info.unsettled] == [("c-3", "applying"), ("c-2", "unknown")]


def test_json_comes_back_exactly_as_it_was_journalled(store: Store) -> None:
    value = {
        "zeta": [1, 1.0, 0.1, 1e-07, 2**70, -0.0, True, False, None],
        "text": 'Grüße, 東京, emoji 🕐, quote " backslash \\ nul \u0000 newline \n',
        "nested": {"b": {"d": [], "c": {}}, "a": ""},
        "": "an empty key",
    }
    store.begin_change(
        NewChange(
            change_id="c-1",
            tool="log_time",
            args=value,
            before=[value],
            planned="a plain string",
            confirmed_by="token",
            expect=value,
        )
    )
    store.finish_change("c-1", "applied", result=value, undo=3.5)
    store.record_step("c-1", 1, "only", "applied", value)
    change = store.get_change("c-1")
    assert change is not None
    assert (change.args, change.before, change.planned, change.expect, change.result, change.undo) == (
        value,
        [value],
        "a plain string",
        value,
        value,
        3.5,
    )
    assert change.steps[0].detail == value
    assert [type(x) for x in change.args["zeta"]] == [int, float, float, float, int, float, bool, bool, type(None)]


def test_a_change_id_is_journalled_once_and_a_refused_duplicate_spends_nothing(store: Store) -> None:
    store.begin_change(new_change("c-1", nonce="n-1"))
    with pytest.raises(StoreError):
        store.begin_change(new_change("c-1", nonce="n-2"))
    assert store.spent_nonce("n-2") is None
    assert store.count_changes() == 1


def test_a_step_of_a_change_the_journal_does_not_have_is_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        store.record_step("nope", 1, "mass edit", "applying")
    assert store.get_change("nope") is None
