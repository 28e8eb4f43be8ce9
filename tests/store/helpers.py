"""What the store tests share: a change as the gate would record it, and the test PostgreSQL server."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime, timedelta

import pytest

from clockodo_mcp.store import NewChange

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=10)


def new_change(
    change_id: str,
    nonce: str | None = "n-1",
    tool: str = "log_time",
    expires: datetime = EXPIRES,
    undoes: str | None = None,
) -> NewChange:
    return NewChange(
        change_id=change_id,
        tool=tool,
        args={"change_id": undoes} if undoes else {"project": "Phoenix", "hours": 3},
        undoes=undoes,
        summary=f"Will do {change_id}.",
        before={"entries": []},
        planned={"action": "create entry"},
        confirmed_by="token" if nonce else "elicitation",
        nonce=nonce,
        nonce_expires_at=expires if nonce else None,
    )


PG_URL = os.environ.get("CLOCKODO_MCP_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


@functools.cache
def _postgres_problem() -> str | None:
    try:
        import psycopg
    except ImportError as error:
        return f"psycopg is not installed ({error})"
    try:
        with psycopg.connect(PG_URL, connect_timeout=5, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip()
    return None


def postgres_url() -> str:
    """The test server's URL; skips the test when it cannot be reached."""
    problem = _postgres_problem()
    if problem is not None:
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL} (set CLOCKODO_MCP_TEST_POSTGRES): {problem}")
    return PG_URL


def with_query(url: str, **options: str) -> str:
    """The URL with more query options."""
    extra = "&".join(f"{key}={value}" for key, value in options.items())
    return f"{url}{'&' if '?' in url else '?'}{extra}"


def drop_schema(schema: str) -> None:
    """Drop a test schema and everything in it (the audit tables' append-only trigger does not stop a DROP)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_URL, connect_timeout=5, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
