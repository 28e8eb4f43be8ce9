"""A fresh schema with the audit tables on the machine's PostgreSQL, and the tools to tamper with it as a superuser."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from clockodo_mcp.audit import ENV_AUDIT_KEY, AuditKey
from clockodo_mcp.audit.pg_schema import AUDIT_SCHEMA

PG_URL = os.environ.get("CLOCKODO_MCP_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
KEY_TEXT = "audit-test-key-0123456789abcdef"  # what the replicas would have in CLOCKODO_MCP_AUDIT_KEY
KEY = AuditKey(KEY_TEXT.encode("utf-8"), ENV_AUDIT_KEY)


def with_query(url: str, query: str) -> str:
    """The URL with one more query parameter."""
    return f"{url}{'&' if '?' in url else '?'}{query}"


@dataclass(frozen=True)
class PgSchema:
    """One test's schema: its store URL, a conninfo that selects it, and superuser access for tampering."""

    name: str
    url: str  # postgresql://…?schema=<name>, as a store URL names it
    conninfo: str  # the same as a plain libpq URL, search_path set in the options

    def connect(self) -> psycopg.Connection[Any]:
        """A new connection in the schema (a connection factory: the connection is its own context manager)."""
        return psycopg.connect(self.conninfo)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            return conn.execute(sql.encode(), params).fetchall()

    def tamper(self, *statements: str) -> None:
        """Run statements as the superuser with triggers disabled (replica mode), as an attacker with the
        database's keys but not the audit key could."""
        with psycopg.connect(self.conninfo) as conn:
            conn.execute("SET session_replication_role = replica")
            for statement in statements:
                conn.execute(statement.encode())

    def texts(self) -> list[str]:
        """The stored record texts, by seq."""
        return [row[0] for row in self.query("SELECT record FROM audit_records WHERE log = 'main' ORDER BY seq")]


def fresh_schema(*, tables: bool = True) -> Iterator[PgSchema]:
    """Create a schema (with the audit tables unless told not to), yield it, drop it; skip without a server."""
    try:
        admin = psycopg.connect(PG_URL, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL at {PG_URL} (start it in .ci/run): {error}")
        pytest.skip(f"no PostgreSQL at {PG_URL} (set CLOCKODO_MCP_TEST_POSTGRES to test the audit log there): {error}")
    name = f"audit_test_{uuid.uuid4().hex[:10]}"
    try:
        admin.execute(f'CREATE SCHEMA "{name}"'.encode())
        conninfo = with_query(PG_URL, f"options=-c%20search_path%3D{name}")
        if tables:
            with psycopg.connect(conninfo) as conn, conn.transaction():
                for statement in AUDIT_SCHEMA:  # as the store's migration 1 runs them: in order, one transaction
                    conn.execute(statement.encode())
        yield PgSchema(name=name, url=with_query(PG_URL, f"schema={name}"), conninfo=conninfo)
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'.encode())
        admin.close()
