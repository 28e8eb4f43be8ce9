"""The same mirror in PostgreSQL and in Parquet files, read back with plain SQL; bad targets are refused untouched."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import psycopg
import pytest

from clockodo_mcp.sync import ProgressEvent, SyncOptions, TargetError, open_target, sync_once
from clockodo_mcp.sync.schema import TABLES
from tests.sync.conftest import PG_URL, clockodo_entries, clockodo_ids
from tests.sync.mirror import duckdb_query, entries_sql, mirror_entries, parquet_query
from tests.sync.test_sync import change_everything


def pg_query(schema: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        return [tuple(row) for row in conn.execute(sql).fetchall()]


async def test_a_postgresql_mirror_equals_clockodo_after_changes(client, fake, pg_schema):
    url = f"{PG_URL}?schema={pg_schema}"
    await sync_once(client, open_target(url), fake.clock)
    await change_everything(client, fake)

    report = await sync_once(client, open_target(url), fake.clock)

    assert mirror_entries(pg_query(pg_schema, entries_sql())) == clockodo_entries(fake.base_url)
    assert report.repulled_months == ["2026-07"]
    assert {row[0] for row in pg_query(pg_schema, "SELECT id FROM projects")} == clockodo_ids(
        fake.base_url, "/v4/projects"
    )
    keys = pg_query(
        pg_schema,
        "SELECT count(*) FROM information_schema.table_constraints "
        f"WHERE table_schema = '{pg_schema}' AND constraint_type = 'PRIMARY KEY'",
    )
    assert keys == [(len(TABLES),)]


async def test_parquet_files_read_back_equal_clockodo_after_changes(client, fake, tmp_path):
    url = f"parquet://{(tmp_path / 'lake').as_posix()}"
    await sync_once(client, open_target(url), fake.clock)
    await change_everything(client, fake)

    await sync_once(client, open_target(url), fake.clock)

    lake = tmp_path / "lake"
    assert {file.stem for file in lake.glob("*.parquet")} == {table.name for table in TABLES}
    assert not list(lake.glob(".*.tmp"))
    assert mirror_entries(parquet_query(lake, entries_sql())) == clockodo_entries(fake.base_url)
    assert {row[0] for row in parquet_query(lake, "SELECT id FROM projects")} == clockodo_ids(
        fake.base_url, "/v4/projects"
    )


async def test_an_unreachable_postgresql_target_is_refused_naming_the_fix(client, fake):
    requests = client.request_count

    with pytest.raises(TargetError, match=r"Cannot connect to PostgreSQL at .*127\.0\.0\.1:1.*Start the server"):
        await sync_once(client, open_target("postgresql://127.0.0.1:1/test?connect_timeout=2"), fake.clock)

    assert client.request_count == requests


async def test_a_mirror_of_a_newer_schema_version_is_refused_and_left_untouched(client, fake, tmp_path):
    path = tmp_path / "mirror.duckdb"
    await sync_once(client, open_target(f"duckdb://{path.as_posix()}"), fake.clock)
    con = duckdb.connect(str(path))
    con.execute("UPDATE sync_state SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = duckdb_query(path, "SELECT * FROM sync_state ORDER BY key"), duckdb_query(path, entries_sql())
    requests = client.request_count

    with pytest.raises(TargetError, match=r"schema version 99, newer than the version 1.*Upgrade clockodo-mcp"):
        await sync_once(client, open_target(f"duckdb://{path.as_posix()}"), fake.clock)

    assert (duckdb_query(path, "SELECT * FROM sync_state ORDER BY key"), duckdb_query(path, entries_sql())) == before
    assert client.request_count == requests


async def test_tables_that_are_not_a_mirror_are_refused_and_left_untouched(client, fake, tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE entries (id INTEGER, note VARCHAR)")
    con.execute("INSERT INTO entries VALUES (1, 'someone else''s')")
    con.close()

    with pytest.raises(TargetError, match="not a clockodo-mcp mirror"):
        await sync_once(client, open_target(f"duckdb://{path.as_posix()}"), fake.clock)

    assert duckdb_query(path, "SELECT * FROM entries") == [(1, "someone else's")]


async def test_a_parquet_directory_that_cannot_be_written_is_refused_naming_the_fix(client, fake, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")

    with pytest.raises(TargetError, match=r"Parquet directory .* is not writable.*another --to parquet:///dir"):
        await sync_once(client, open_target(f"parquet://{(blocker / 'lake').as_posix()}"), fake.clock)

    assert blocker.read_text() == "not a directory"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://host/db", "unknown scheme 'mysql'"),
        ("duckdb://relative.duckdb", "absolute path"),
        ("mirror.duckdb", "not a target URL"),
        ("postgresql://host/db?schema=bad-name", "plain SQL name"),
    ],
)
def test_a_malformed_target_url_is_refused_with_examples(url, message):
    with pytest.raises(TargetError, match=message):
        open_target(url)


def test_a_new_mirror_starts_in_an_empty_directory(tmp_path):
    target = open_target(f"duckdb://{(tmp_path / 'new' / 'dir' / 'm.duckdb').as_posix()}")
    target.open()
    try:
        assert target.read_state()["schema_version"] == "1"
    finally:
        target.close()
    assert Path(tmp_path / "new" / "dir" / "m.duckdb").is_file()


def crash_after(pages: int) -> Callable[[ProgressEvent], None]:
    """A progress hook that kills the run at a page boundary."""
    seen = 0

    def hook(event: ProgressEvent) -> None:
        nonlocal seen
        if event.entries:
            seen += 1
            if seen == pages:
                raise RuntimeError("killed mid-sync")

    return hook


async def test_a_postgresql_sync_killed_mid_pull_rolls_back_and_the_next_run_equals_clockodo(client, fake, pg_schema):
    url = f"{PG_URL}?schema={pg_schema}"
    options = SyncOptions(page_size=250)
    with pytest.raises(RuntimeError, match="killed"):
        await sync_once(client, open_target(url), fake.clock, options, crash_after(7))
    state = dict(pg_query(pg_schema, "SELECT key, value FROM sync_state"))
    assert state["backfill_complete"] == "0"

    await sync_once(client, open_target(url), fake.clock, options)

    assert mirror_entries(pg_query(pg_schema, entries_sql())) == clockodo_entries(fake.base_url)


async def test_a_parquet_sync_killed_mid_pull_keeps_the_previous_files_whole(client, fake, tmp_path):
    url = f"parquet://{(tmp_path / 'lake').as_posix()}"
    await sync_once(client, open_target(url), fake.clock)
    before = parquet_query(tmp_path / "lake", entries_sql())
    await change_everything(client, fake)

    with pytest.raises(RuntimeError, match="killed"):
        await sync_once(client, open_target(url), fake.clock, SyncOptions(page_size=250), crash_after(3))

    assert parquet_query(tmp_path / "lake", entries_sql()) == before
    assert not list((tmp_path / "lake").glob(".*.tmp"))
    await sync_once(client, open_target(url), fake.clock)
    assert mirror_entries(parquet_query(tmp_path / "lake", entries_sql())) == clockodo_entries(fake.base_url)
