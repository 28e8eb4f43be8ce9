"""Read-only SQL on a real mirror (DuckDB, Parquet, PostgreSQL): one SELECT, capped, and nothing else gets through."""

from __future__ import annotations

import pytest

from clockodo_mcp.sync.query import QueryError, run_query
from tests.sync.conftest import PG_URL, clockodo_get
from tests.sync.test_sync import duckdb_url, sync
from tests.sync.test_targets import pg_query, pg_schema  # noqa: F401 - the fixture

HOURS_BY_USER = "SELECT users_id, SUM(duration) / 3600.0 AS hours FROM entries GROUP BY users_id ORDER BY users_id"
WRITES = [
    "DELETE FROM entries",
    "UPDATE entries SET text = 'x'",
    "INSERT INTO customers (id) VALUES (999999)",
    "DROP TABLE entries",
    "CREATE TABLE stolen AS SELECT * FROM entries",
    "SELECT 1; DELETE FROM entries",
    "COPY entries TO '/tmp/stolen.csv'",
    "ATTACH '/tmp/other.duckdb'",
    "PRAGMA database_list",
]


@pytest.fixture
async def duckdb_mirror(client, fake, tmp_path) -> str:
    url = duckdb_url(tmp_path)
    await sync(client, fake, url)
    return url


def entry_count(fake) -> int:
    body = clockodo_get(
        fake.base_url,
        "/v2/entries",
        {"time_since": "2024-11-01T00:00:00Z", "time_until": "2027-12-31T00:00:00Z", "items_per_page": 1},
    )
    return int(body["paging"]["count_items"])


async def test_a_select_on_the_duckdb_mirror_answers_with_columns_and_json_rows(duckdb_mirror, fake):
    result = run_query(duckdb_mirror, "SELECT COUNT(*) AS n FROM entries", max_rows=10, timeout_seconds=10)
    assert result.columns == ["n"]
    assert result.rows == [[entry_count(fake)]]
    assert result.truncated is False


async def test_rows_beyond_the_cap_are_cut_and_said_to_be(duckdb_mirror):
    result = run_query(duckdb_mirror, HOURS_BY_USER, max_rows=3, timeout_seconds=10)
    assert len(result.rows) == 3
    assert result.truncated is True
    assert all(isinstance(hours, float) for _, hours in result.rows)


@pytest.mark.parametrize("sql", WRITES)
async def test_anything_but_one_select_is_refused_and_the_mirror_is_unchanged(duckdb_mirror, sql):
    before = run_query(duckdb_mirror, "SELECT COUNT(*), SUM(duration) FROM entries", max_rows=1, timeout_seconds=10)
    with pytest.raises(QueryError, match=r"Only SELECT|exactly one statement|not valid SQL|failed"):
        run_query(duckdb_mirror, sql, max_rows=10, timeout_seconds=10)
    after = run_query(duckdb_mirror, "SELECT COUNT(*), SUM(duration) FROM entries", max_rows=1, timeout_seconds=10)
    assert after.rows == before.rows


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "WITH x AS (SELECT 1) SELECT * FROM read_parquet('/tmp/*.parquet')",
    ],
)
async def test_a_select_cannot_read_files_outside_the_mirror(duckdb_mirror, sql):
    with pytest.raises(QueryError, match="failed"):
        run_query(duckdb_mirror, sql, max_rows=10, timeout_seconds=10)


async def test_a_query_that_runs_too_long_is_stopped_with_advice(duckdb_mirror):
    endless = "SELECT COUNT(*) FROM range(1000000000000) a"
    with pytest.raises(QueryError, match=r"longer than 0\.2 s and was stopped"):
        run_query(duckdb_mirror, endless, max_rows=1, timeout_seconds=0.2)


def test_an_empty_or_huge_query_and_a_missing_mirror_are_refused_with_the_fix(tmp_path):
    url = duckdb_url(tmp_path)
    with pytest.raises(QueryError, match=r"The query is empty\. Give one SELECT, e\.g\."):
        run_query(url, " ; ", max_rows=1, timeout_seconds=1)
    with pytest.raises(QueryError, match="at most 10,000 are allowed"):
        run_query(url, "SELECT " + "1," * 6000 + "1", max_rows=1, timeout_seconds=1)
    with pytest.raises(QueryError, match=r"no mirror at .* yet. Run `clockodo-mcp sync` first"):
        run_query(url, "SELECT 1", max_rows=1, timeout_seconds=1)
    with pytest.raises(QueryError, match="unknown scheme"):
        run_query("mysql://x/y", "SELECT 1", max_rows=1, timeout_seconds=1)


async def test_the_parquet_mirror_answers_the_same_as_the_duckdb_one(client, fake, tmp_path, duckdb_mirror):
    parquet = f"parquet://{(tmp_path / 'parquet').as_posix()}"
    await sync(client, fake, parquet)
    assert run_query(parquet, HOURS_BY_USER, max_rows=500, timeout_seconds=10) == run_query(
        duckdb_mirror, HOURS_BY_USER, max_rows=500, timeout_seconds=10
    )
    with pytest.raises(QueryError, match="failed"):
        run_query(parquet, "SELECT * FROM read_csv('/etc/passwd')", max_rows=1, timeout_seconds=10)


async def test_the_postgresql_mirror_answers_in_a_read_only_transaction(client, fake, tmp_path, pg_schema):  # noqa: F811
    url = f"{PG_URL}?schema={pg_schema}"
    await sync(client, fake, url)
    result = run_query(url, "SELECT COUNT(*) AS n FROM entries", max_rows=5, timeout_seconds=10)
    assert result.rows == [[entry_count(fake)]]
    for sql in ("DELETE FROM entries", "WITH gone AS (DELETE FROM entries RETURNING id) SELECT * FROM gone"):
        with pytest.raises(QueryError, match=r"Only SELECT|failed"):
            run_query(url, sql, max_rows=5, timeout_seconds=10)
    with pytest.raises(QueryError, match="failed"):
        run_query(url, "SELECT 1; DELETE FROM entries", max_rows=5, timeout_seconds=10)
    assert pg_query(pg_schema, "SELECT COUNT(*) FROM entries") == [(entry_count(fake),)]
    with pytest.raises(QueryError, match=r"longer than 0\.2 s"):
        run_query(url, "SELECT pg_sleep(5)", max_rows=1, timeout_seconds=0.2)
