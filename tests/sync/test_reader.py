"""Reading the mirror for agents: the last run's status and capped, read-only SQL on every target kind."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.fake.demo import seed
from clockodo_mcp.fake.server import BackgroundFakeServer
from clockodo_mcp.sync import TargetError, open_target, sync_once
from clockodo_mcp.sync.reader import QueryRefused, check_select, mirror_status, run_query
from tests.sync.conftest import NOW, PG_URL, TODAY, clockodo_entries, fake_client
from tests.sync.mirror import duckdb_query


@pytest.fixture(scope="module")
def synced_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small company synced once for the module, to DuckDB and to Parquet, at NOW (each test reads a copy)."""
    where = tmp_path_factory.mktemp("synced")

    async def sync_both() -> None:
        clock = FrozenClock(NOW)
        with BackgroundFakeServer(seed(seed=7, today=TODAY), now=clock.now) as server:
            async with fake_client(server.base_url) as client:
                for url in (
                    f"duckdb://{(where / 'mirror.duckdb').as_posix()}",
                    f"parquet://{(where / 'lake').as_posix()}",
                ):
                    await sync_once(client, open_target(url), clock)

    anyio.run(sync_both)
    return where


@pytest.fixture
def mirrors(synced_once: Path, tmp_path: Path) -> dict[str, str]:
    """This test's copy of the module's mirrors (the fake of every test holds the same seeded company)."""
    shutil.copy(synced_once / "mirror.duckdb", tmp_path / "mirror.duckdb")
    shutil.copytree(synced_once / "lake", tmp_path / "lake")
    return {
        "duckdb": f"duckdb://{(tmp_path / 'mirror.duckdb').as_posix()}",
        "parquet": f"parquet://{(tmp_path / 'lake').as_posix()}",
    }


@pytest.mark.parametrize("kind", ["duckdb", "parquet"])
async def test_the_status_reports_the_last_run_its_lag_and_the_row_counts(mirrors, fake, kind):
    fake.clock.advance(600)

    status = mirror_status(mirrors[kind], fake.clock)

    assert status.lag_seconds == 600.0
    assert status.backfill_complete
    assert status.since == "2024-11-01"
    assert status.last_run_requests is not None
    assert status.last_run_requests > 0
    assert status.row_counts["entries"] == len(clockodo_entries(fake.base_url))
    assert set(status.row_counts) >= {"projects", "entry_months", "budget_snapshots", "sync_state"}


@pytest.mark.parametrize("kind", ["duckdb", "parquet"])
async def test_a_select_runs_and_is_capped_in_rows(mirrors, kind):
    result = run_query(mirrors[kind], "SELECT id, billable FROM entries ORDER BY id", max_rows=5)

    assert result.columns == ("id", "billable")
    assert len(result.rows) == 5
    assert result.truncated
    assert run_query(mirrors[kind], "SELECT count(*) FROM projects").truncated is False


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM entries",
        "UPDATE entries SET billable = 2",
        "SELECT 1; DELETE FROM entries",
        "DROP TABLE entries",
        "ATTACH '/tmp/other.duckdb' AS other",
        "COPY entries TO '/tmp/out.csv'",
        "WITH gone AS (DELETE FROM entries RETURNING id) SELECT * FROM gone",
    ],
)
async def test_anything_but_one_select_is_refused_and_the_mirror_is_unchanged(mirrors, tmp_path, sql):
    with pytest.raises(QueryRefused):
        run_query(mirrors["duckdb"], sql)

    assert duckdb_query(tmp_path / "mirror.duckdb", "SELECT count(*) FROM entries")[0][0] > 0


def test_words_inside_strings_and_names_do_not_trip_the_check():
    assert check_select("SELECT 'delete me' AS note, updated_at FROM changes OFFSET 1;").startswith("SELECT")


async def test_the_connection_itself_refuses_files_outside_the_mirror(mirrors):
    with pytest.raises(QueryRefused, match="refused"):
        run_query(mirrors["duckdb"], "SELECT * FROM read_csv('/etc/hostname')")
    with pytest.raises(QueryRefused, match="refused"):
        run_query(mirrors["parquet"], "SELECT * FROM read_csv('/etc/hostname')")


async def test_a_query_over_its_time_cap_is_stopped_with_a_hint(mirrors):
    with pytest.raises(QueryRefused, match=r"longer than 0\.2 s"):
        run_query(mirrors["duckdb"], "SELECT count(*) FROM range(100000000000) a", timeout_seconds=0.2)


def test_a_missing_mirror_says_to_sync_first(tmp_path, fake):
    with pytest.raises(TargetError, match="run `clockodo-mcp sync` first"):
        mirror_status(f"duckdb://{(tmp_path / 'none.duckdb').as_posix()}", fake.clock)
    assert not Path(tmp_path / "none.duckdb").exists()


async def test_a_postgresql_mirror_reports_its_status_and_answers_selects_read_only(client, fake, pg_schema):
    url = f"{PG_URL}?schema={pg_schema}"
    await sync_once(client, open_target(url), fake.clock)

    status = mirror_status(url, fake.clock)
    result = run_query(url, "SELECT count(*) AS n FROM entries")

    assert status.row_counts["entries"] == len(clockodo_entries(fake.base_url))
    assert result.rows == ((status.row_counts["entries"],),)
    with pytest.raises(QueryRefused, match="refused"):
        run_query(url, "SELECT set_config('transaction_read_only', 'off', true)")
