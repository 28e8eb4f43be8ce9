"""The server on a PostgreSQL store: the journal and the audit chain live in PostgreSQL (one chain for every
replica), and when the store is lost mid-run, writes are refused while reads go on and say they were not audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from mcp import Client

from clockodo_mcp.audit.pg import PostgresAuditLog, verify_pg
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.calls import UNAUDITED
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store.postgres import PostgresStore
from tests.conftest import held_open
from tests.server.conftest import call, call_error, make_runtime
from tests.server.gating import LOG
from tests.store._proxy import Proxy

AUDIT_KEY = "k" * 64

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def audit_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOCKODO_MCP_AUDIT_KEY", AUDIT_KEY)


@pytest.fixture
def proxied_url(pg_url: str) -> Iterator[tuple[str, Proxy]]:
    """The test's store URL through a proxy the test can cut: an outage of this store only."""
    parts = urlsplit(pg_url)
    with Proxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        netloc = f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
        yield parts._replace(netloc=netloc).geturl(), proxy


async def test_a_confirmed_write_is_journalled_and_audited_in_postgresql(fake_app: Any, tmp_path: Path, pg_url: str):
    runtime = make_runtime(fake_app, tmp_path / "unused-audit.jsonl", store_url=pg_url)
    assert isinstance(runtime.store, PostgresStore)
    assert isinstance(runtime.audit, PostgresAuditLog)
    async with held_open(_client(runtime)) as client:
        token = (await call(client, "log_time", **LOG))["confirm_token"]
        applied = await call(client, "log_time", **LOG, confirm_token=token)

    change = runtime.store.get_change(applied["change_id"])
    assert change is not None
    assert change.status == "applied"
    verdict = verify_pg(runtime.store)
    assert verdict.ok, verdict.reason
    assert verdict.records >= 4  # the preview's and the confirmation's intent and outcome
    assert not (tmp_path / "unused-audit.jsonl").exists()  # no file log beside a PostgreSQL store


async def test_with_the_store_lost_mid_run_writes_are_refused_and_reads_say_they_were_not_audited(
    fake_app: Any, tmp_path: Path, proxied_url: tuple[str, Proxy]
):
    url, proxy = proxied_url
    runtime = make_runtime(fake_app, tmp_path / "audit.jsonl", store_url=url)
    async with held_open(_client(runtime)) as client:
        token = (await call(client, "log_time", **LOG))["confirm_token"]
        proxy.cut()

        read = await call(client, "list_entries", period="this_month")
        assert read["summary"].startswith(UNAUDITED)
        refused = await call_error(client, "log_time", **LOG, confirm_token=token)
        assert "Nothing was changed" in refused

        proxy.restore()
        applied = await call(client, "log_time", **LOG, confirm_token=token)
    assert applied["change_id"]
    assert verify_pg(runtime.store).ok


def _client(runtime: Runtime) -> Client:
    return Client(build_server(runtime))
