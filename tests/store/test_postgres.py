"""The PostgreSQL store's own ways: migrated only by `store migrate` (idempotent, safe to run twice at once), refused
while its schema is missing or newer, never showing a password, failing fast and closed when the server is away and
recovering when it is back, and naming the winner to the loser of a race on the nonce or the undo."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import (
    AlreadyUndone,
    NonceSpent,
    Principal,
    StoreConfigError,
    StoreSchemaError,
    StoreUnavailable,
    open_store,
)
from clockodo_mcp.store.postgres import SCHEMA_VERSION, PostgresStore
from clockodo_mcp.store.url import parse_postgres_url
from tests.store._proxy import Proxy
from tests.store.helpers import EXPIRES, NOW, PG_URL, new_change, postgres_url, with_query

TABLES = {
    "schema_version",
    "nonces",
    "changes",
    "change_steps",
    "audit_anchor",
    "principals",
    "rate_requests",
    "audit_records",
    "audit_heads",
}


def pg_store(url: str, clock: FrozenClock | None = None) -> PostgresStore:
    return PostgresStore(parse_postgres_url(url), now=(clock or FrozenClock(NOW)).now)


@pytest.fixture
def opened(clock: FrozenClock) -> Iterator[Callable[[str], PostgresStore]]:
    """Opens PostgreSQL stores on any URL; all are closed after the test."""
    stores: list[PostgresStore] = []

    def open_one(url: str) -> PostgresStore:
        stores.append(pg_store(url, clock))
        return stores[-1]

    yield open_one
    for store in stores:
        store.close()


def admin() -> psycopg.Connection[Any]:
    return psycopg.connect(PG_URL, connect_timeout=5, autocommit=True)


def tables_in(schema: str) -> set[str]:
    with admin() as conn:
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))
        return {r[0] for r in rows}


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll a condition that another backend will make true (each check is a round trip to the server)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")


def waiting_on_a_lock(schema: str) -> Callable[[], bool]:
    def check() -> bool:
        with admin() as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
                (schema,),
            ).fetchone()
            return bool(row and row[0])

    return check


def test_migrate_creates_the_whole_schema_once_and_then_has_nothing_to_do(
    pg_unmigrated_url: str, pg_schema: str, opened: Callable[[str], PostgresStore]
) -> None:
    store = opened(pg_unmigrated_url)
    assert tables_in(pg_schema) == set()
    assert store.migrate() == (0, SCHEMA_VERSION)
    assert tables_in(pg_schema) == TABLES
    assert store.migrate() == (SCHEMA_VERSION, SCHEMA_VERSION)
    assert store.schema_version() == SCHEMA_VERSION == 1
    with admin() as conn:
        versions = conn.execute(sql.SQL("SELECT version FROM {}.schema_version").format(sql.Identifier(pg_schema)))
        assert [r[0] for r in versions] == [1]
    assert "changes" not in tables_in("public") or pg_schema != "public"  # nothing leaked outside the schema


def test_two_migrations_at_once_migrate_once(pg_unmigrated_url: str, opened: Callable[[str], PostgresStore]) -> None:
    stores = [opened(pg_unmigrated_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    results: list[tuple[int, int] | BaseException] = []

    def migrate(store: PostgresStore) -> None:
        barrier.wait(timeout=30)
        try:
            results.append(store.migrate())
        except BaseException as error:
            results.append(error)

    threads = [threading.Thread(target=migrate, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results, key=str) == [(0, 1), (1, 1), (1, 1), (1, 1)]


def test_a_store_nobody_migrated_is_refused_with_the_command_that_migrates_it(
    pg_unmigrated_url: str, pg_schema: str, opened: Callable[[str], PostgresStore]
) -> None:
    store = opened(pg_unmigrated_url)
    for call in (store.schema_version, lambda: store.begin_change(new_change("c-1")), store.list_changes):
        with pytest.raises(StoreSchemaError) as refused:
            call()
        assert f"clockodo-mcp store migrate --store '{pg_unmigrated_url}'" in str(refused.value)
    assert store.info().problem is not None
    with admin() as conn:  # opening it created nothing: not the schema, let alone a table
        assert conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (pg_schema,)).fetchone() is None


def test_a_schema_without_our_tables_is_refused_with_the_migrate_hint(
    pg_unmigrated_url: str, pg_schema: str, opened: Callable[[str], PostgresStore]
) -> None:
    with admin() as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(pg_schema)))
    with pytest.raises(StoreSchemaError, match="has no clockodo-mcp tables; run `clockodo-mcp store migrate"):
        opened(pg_unmigrated_url).schema_version()


def test_a_schema_migrated_by_a_newer_version_is_refused_and_left_alone(
    pg_url: str, pg_schema: str, opened: Callable[[str], PostgresStore]
) -> None:
    with admin() as conn:
        conn.execute(
            sql.SQL("INSERT INTO {}.schema_version VALUES (%s, %s)").format(sql.Identifier(pg_schema)),
            (SCHEMA_VERSION + 1, NOW),
        )
    store = opened(pg_url)
    with pytest.raises(StoreSchemaError, match="schema version 2, newer than this clockodo-mcp knows") as refused:
        store.schema_version()
    assert "Upgrade clockodo-mcp" in str(refused.value)
    with pytest.raises(StoreSchemaError, match="Upgrade clockodo-mcp; nothing was changed"):
        store.migrate()
    assert tables_in(pg_schema) == TABLES


def test_the_tables_live_in_the_schema_of_the_url_and_times_leave_it_in_utc(
    pg_url: str, pg_schema: str, opened: Callable[[str], PostgresStore]
) -> None:
    # Another session time zone, from the URL's own libpq options: the store still reads aware UTC times.
    store = opened(with_query(pg_url, options="-c%20TimeZone%3DAmerica/New_York"))
    store.begin_change(new_change("c-1"))
    change = store.get_change("c-1")
    assert change is not None
    assert (change.created_at, change.created_at.tzinfo) == (NOW, UTC)
    with admin() as conn:
        row = conn.execute(
            sql.SQL("SELECT created_at FROM {}.changes").format(sql.Identifier(pg_schema)),
        ).fetchone()
        assert row is not None
        assert row[0] == NOW


def test_a_password_never_appears_in_a_location_or_a_message(
    pg_schema: str, opened: Callable[[str], PostgresStore]
) -> None:
    parts = urlsplit(postgres_url())
    with admin() as conn:
        user = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
    secret = "s3cret-Pa55"
    # The test server trusts local connections, so a password is accepted (and ignored) on the way to a missing schema.
    reachable = f"postgresql://{user}:{secret}@{parts.netloc.rpartition('@')[2]}{parts.path}?schema={pg_schema}"
    unreachable = f"postgresql://{user}:{secret}@127.0.0.1:1/test?password={secret}"
    masked = reachable.replace(secret, "***")
    store = opened(reachable)
    assert store.location == masked
    assert secret not in repr(store.url)
    with pytest.raises(StoreSchemaError) as refused:
        store.schema_version()
    away = opened(unreachable)
    with pytest.raises(StoreUnavailable) as unavailable:
        away.begin_change(new_change("c-1"))
    with pytest.raises(StoreConfigError) as bad:
        open_store(f"{reachable}&colour=blue")
    messages = [str(refused.value), str(unavailable.value), str(bad.value), str(away.info().problem), away.location]
    assert [secret in m for m in messages] == [False] * 5
    assert f"--store '{masked}'" in messages[0]
    assert f"postgresql://{user}:***@127.0.0.1:1/test?password=***" in messages[1]


def every_call(store: PostgresStore) -> list[Callable[[], object]]:
    """One call of each method of the Store protocol that touches the server."""
    person = Principal(name="ben", api_user="ben@example.com", key_sealed="k", token_hash="h-ben", created_at=NOW)
    return [
        store.schema_version,
        lambda: store.begin_change(new_change("c-9", nonce="n-9")),
        lambda: store.finish_change("c-1", "applied"),
        lambda: store.record_step("c-1", 1, "mass edit", "applying"),
        lambda: store.get_change("c-1"),
        store.list_changes,
        store.count_changes,
        lambda: store.spent_nonce("n-1"),
        lambda: store.read_anchor("main"),
        lambda: store.write_anchor("main", 1, "a" * 64),
        lambda: store.admit_request("anna@example.com", ((3, 60.0),)),
        lambda: store.add_principal(person),
        store.list_principals,
        lambda: store.remove_principal("ben"),
        lambda: store.find_principal("h-ben"),
    ]


def test_an_unreachable_server_fails_every_call_promptly_with_the_fix(opened: Callable[[str], PostgresStore]) -> None:
    store = opened("postgresql://127.0.0.1:1/test?schema=nowhere")
    for call in every_call(store):
        with pytest.raises(StoreUnavailable) as unavailable:
            call()
        message = str(unavailable.value)
        assert "is PostgreSQL running at 127.0.0.1:1" in message
        assert "CLOCKODO_MCP_STORE" in message
    info = store.info()
    assert (info.writable, info.backend, "127.0.0.1:1" in (info.problem or "")) == (False, "postgresql", True)


def test_a_store_whose_connections_were_terminated_works_again(
    pg_url: str, pg_schema: str, opened: Callable[[str], PostgresStore]
) -> None:
    store = opened(with_query(pg_url, application_name=pg_schema))
    store.begin_change(new_change("c-1", nonce="n-1"))
    with admin() as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s", (pg_schema,)
        ).fetchone()
    assert killed is not None
    assert killed[0] >= 1
    outcomes = []
    for i in (2, 3):
        try:
            store.begin_change(new_change(f"c-{i}", nonce=f"n-{i}"))
            outcomes.append("recorded")
        except StoreUnavailable:
            outcomes.append("unavailable")
    assert outcomes[-1] == "recorded"  # at most one call fails, closed, before the pool has fresh connections
    expected = ["c-3", "c-2", "c-1"] if outcomes[0] == "recorded" else ["c-3", "c-1"]
    assert [c.change_id for c in store.list_changes()] == expected


def test_a_connection_lost_inside_a_block_of_the_audit_log_leaves_the_store_usable(
    pg_url: str, opened: Callable[[str], PostgresStore]
) -> None:
    store = opened(pg_url)
    store.schema_version()
    lost: list[BaseException] = []
    try:
        with store.connection() as conn:
            with admin() as other:
                other.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
            conn.execute("SELECT 1")
    except psycopg.OperationalError as error:  # the caller's own error, as psycopg raised it
        lost.append(error)
    assert len(lost) == 1
    store.write_anchor("main", 1, "a" * 64)
    anchor = store.read_anchor("main")
    assert anchor is not None
    assert anchor.seq == 1


def test_an_outage_fails_writes_closed_and_the_store_recovers_when_the_server_is_back(
    pg_url: str, opened: Callable[[str], PostgresStore]
) -> None:
    target = urlsplit(postgres_url())
    host, port = target.hostname or "127.0.0.1", target.port or 5432
    with Proxy(host, port) as proxy:
        via_proxy = pg_url.replace(target.netloc.rpartition("@")[2], f"127.0.0.1:{proxy.port}", 1)
        store = opened(with_query(via_proxy, connect_timeout="2"))
        store.begin_change(new_change("c-1", nonce="n-1"))
        proxy.cut()
        with pytest.raises(StoreUnavailable, match=f"is PostgreSQL running at 127.0.0.1:{proxy.port}"):
            store.begin_change(new_change("c-2", nonce="n-2"))
        for call in every_call(store):  # the server is still away: every call fails closed, at once
            with pytest.raises(StoreUnavailable):
                call()
        assert store.info().writable is False
        proxy.restore()
        store.begin_change(new_change("c-3", nonce="n-3"))
        assert [c.change_id for c in store.list_changes()] == ["c-3", "c-1"]
        assert store.spent_nonce("n-2") is None  # the write refused during the outage spent nothing


def test_the_loser_of_a_race_for_a_nonce_is_told_which_change_won(
    pg_url: str, pg_schema: str, opened: Callable[[str], PostgresStore]
) -> None:
    store = opened(with_query(pg_url, application_name=pg_schema))
    store.schema_version()
    outcome: list[BaseException | None] = []
    with admin() as winner, winner.transaction():
        # Another replica has spent the nonce and not committed yet: this store's insert must wait for it.
        winner.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(pg_schema)))
        winner.execute("INSERT INTO nonces VALUES ('n-1', 'log_time', 'c-winner', %s, %s)", (NOW, EXPIRES))
        winner.execute(
            "INSERT INTO changes (change_id, tool, args, before, planned, status, confirmed_by, nonce, created_at,"
            " updated_at) VALUES ('c-winner', 'log_time', '{}', 'null', 'null', 'applying', 'token', 'n-1', %s, %s)",
            (NOW, NOW),
        )

        def lose() -> None:
            try:
                store.begin_change(new_change("c-loser", nonce="n-1"))
                outcome.append(None)
            except BaseException as error:
                outcome.append(error)

        loser = threading.Thread(target=lose)
        loser.start()
        wait_until(waiting_on_a_lock(pg_schema), "the loser waits for the winner's transaction")
    loser.join(timeout=30)
    (error,) = outcome
    assert isinstance(error, NonceSpent)
    assert (error.spent.change_id, error.spent.spent_at, error.spent.expires_at) == ("c-winner", NOW, EXPIRES)
    assert store.get_change("c-loser") is None


def test_the_loser_of_a_race_to_undo_a_change_is_told_which_undo_won(
    pg_url: str, pg_schema: str, opened: Callable[[str], PostgresStore]
) -> None:
    store = opened(with_query(pg_url, application_name=pg_schema))
    store.begin_change(new_change("c-1", nonce=None))
    store.finish_change("c-1", "applied")
    outcome: list[BaseException | None] = []
    with admin() as winner, winner.transaction():
        winner.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(pg_schema)))
        winner.execute(
            "INSERT INTO changes (change_id, tool, args, before, planned, status, confirmed_by, undoes, created_at,"
            " updated_at) VALUES ('u-winner', 'undo', '{}', 'null', 'null', 'applying', 'elicitation', 'c-1', %s, %s)",
            (NOW, NOW),
        )

        def lose() -> None:
            try:
                store.begin_change(new_change("u-loser", nonce="n-2", tool="undo", undoes="c-1"))
                outcome.append(None)
            except BaseException as error:
                outcome.append(error)

        loser = threading.Thread(target=lose)
        loser.start()
        wait_until(waiting_on_a_lock(pg_schema), "the loser waits for the winner's transaction")
    loser.join(timeout=30)
    (error,) = outcome
    assert isinstance(error, AlreadyUndone)
    assert (error.target, error.by.change_id, error.by.status) == ("c-1", "u-winner", "applying")
    assert store.spent_nonce("n-2") is None  # the refused undo spent nothing


def test_the_audit_log_shares_the_pool_and_its_tables_are_append_only(
    pg_url: str, opened: Callable[[str], PostgresStore]
) -> None:
    store = opened(pg_url)
    with store.connection() as conn, conn.transaction():
        conn.execute(
            "INSERT INTO audit_records (log, seq, ts, prev_hash, hash, record) VALUES ('main', 1, 't', 'p', 'h', '{}')"
        )
    assert store.pool.conninfo == store.url.conninfo
    refused = pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only")
    with refused, store.connection() as conn, conn.transaction():
        conn.execute("DELETE FROM audit_records")
    with store.connection() as conn:
        assert conn.execute("SELECT count(*) FROM audit_records").fetchone() == (1,)


@pytest.fixture
def role(pg_url: str, pg_schema: str) -> Iterator[str]:
    """A login role of this test's own that may read the test schema but write nothing; dropped afterwards."""
    name = f"r_{pg_schema}"
    with admin() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
    yield name
    with admin() as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_a_user_who_may_not_write_the_store_is_told_so_and_nothing_is_recorded(
    pg_url: str, pg_schema: str, role: str, opened: Callable[[str], PostgresStore]
) -> None:
    parts = urlsplit(pg_url)
    as_role = pg_url.replace(f"//{parts.netloc}", f"//{role}@{parts.netloc.rpartition('@')[2]}", 1)
    with pytest.raises(StoreSchemaError, match=f"may not use its schema {pg_schema}: GRANT USAGE"):
        opened(as_role).schema_version()
    with admin() as conn:
        ident = sql.Identifier(pg_schema), sql.Identifier(role)
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(*ident))
        conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(*ident))
    reader = opened(as_role)
    info = reader.info()
    assert (info.writable, info.schema_version) == (False, SCHEMA_VERSION)
    assert "lacks INSERT on nonces, DELETE on nonces, INSERT on changes" in (info.problem or "")
    with pytest.raises(StoreUnavailable, match=r"refused the operation .*permission denied for table nonces"):
        reader.begin_change(new_change("c-1"))
    assert reader.list_changes() == []
