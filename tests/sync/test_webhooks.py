"""Clockodo's webhooks, sent by the fake over real HTTP to the server's receiver, keep the mirror equal to Clockodo."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from clockodo_mcp.audit.readers import iter_records
from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.clockodo import EntryUpdate
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, seed
from clockodo_mcp.fake.faults import FaultConfig
from clockodo_mcp.fake.server import BackgroundFakeServer
from clockodo_mcp.fake.webhooks import Subscription, Webhooks
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ConfigError, ServerConfig
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.transports import http_app
from clockodo_mcp.server.webhooks import webhook_receiver
from clockodo_mcp.store import sqlite_url
from clockodo_mcp.sync import SyncOptions, open_target, sync_once
from clockodo_mcp.sync.reader import mirror_status
from tests.server.live import serving
from tests.sync.conftest import (
    HEADERS,
    NOW,
    PG_URL,
    TODAY,
    Fake,
    clockodo_entries,
    clockodo_ids,
    fake_client,
)
from tests.sync.mirror import duckdb_query, entries_sql, mirror_entries, parquet_query
from tests.sync.test_sync import change_everything, raw_entries
from tests.sync.test_targets import pg_query

TOKEN = "a-webhook-token-of-some-length"
PATH = "/webhooks/clockodo"


@dataclass
class Receiving:
    """A fake whose webhooks go to a running server, the mirror it keeps, and the server's audit log."""

    fake: Fake
    url: str  # the receiver's full URL
    mirror: str
    webhooks: Webhooks
    audit: Path

    def webhook_records(self) -> list[dict[str, Any]]:
        return [r for r in iter_records(self.audit) if r.get("kind") == "webhook"]


def runtime_for(base_url: str, tmp_path: Path, **config: Any) -> Runtime:
    settings = ServerConfig(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        credential_source="test",
        base_url=base_url,
        audit_path=tmp_path / "audit.jsonl",
        store_url=sqlite_url(tmp_path / "store.sqlite3"),
        **config,
    )
    return Runtime(settings, clock=FrozenClock(NOW))


def receiving(tmp_path: Path, mirror: str, events: tuple[str, ...] = ("*",)) -> Iterator[Receiving]:
    clock = FrozenClock(NOW)
    webhooks = Webhooks([])
    with BackgroundFakeServer(seed(seed=7, today=TODAY), now=clock.now, webhooks=webhooks) as server:
        fake = Fake(server.base_url, FaultConfig(), clock)  # its faults are not wired: deliveries are plain

        async def first_sync() -> None:
            async with fake_client(server.base_url) as client:
                await sync_once(client, open_target(mirror), clock, SyncOptions())

        anyio.run(first_sync)
        runtime = runtime_for(server.base_url, tmp_path, mirror_url=mirror, webhook_token=TOKEN)
        app = http_app(build_server(runtime), "http", webhooks=webhook_receiver(runtime, "http"))
        with serving(app) as base:
            webhooks.subscriptions.append(Subscription(1, base + PATH, TOKEN, events))
            yield Receiving(fake, base + PATH, mirror, webhooks, tmp_path / "audit.jsonl")


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Receiving]:
    yield from receiving(tmp_path, "duckdb://" + (tmp_path / "mirror.duckdb").as_posix())


def duck_entries(r: Receiving) -> dict[int, tuple[Any, ...]]:
    return mirror_entries(duckdb_query(Path(r.mirror.removeprefix("duckdb://")), entries_sql()))


def post(r: Receiving, body: object, **kwargs: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(r.url, content=content, timeout=30, **kwargs)


def delivery(event: str, entity_id: int, token: str = TOKEN) -> dict[str, Any]:
    return {
        "subscription_id": 1,
        "company_id": 1,
        "occurred_at": "2026-11-24T15:00:00Z",
        "event_name": event,
        "token": token,
        "payload": {event.split(".")[0]: {"id": entity_id}},
    }


async def test_edits_deletes_moves_billing_a_new_project_and_a_deleted_absence_reach_the_mirror_without_a_sync(duck):
    async with fake_client(duck.fake.base_url) as client:
        ids = await change_everything(client, duck.fake)

    assert duck_entries(duck) == clockodo_entries(duck.fake.base_url)
    path = Path(duck.mirror.removeprefix("duckdb://"))
    projects = {row[0] for row in duckdb_query(path, "SELECT id FROM projects")}
    assert projects == clockodo_ids(duck.fake.base_url, "/v4/projects")
    assert ids["project"] in projects
    absences = {row[0] for row in duckdb_query(path, "SELECT id FROM absences")}
    assert ids["absence"] not in absences
    assert all(d.status == 200 for d in duck.webhooks.deliveries)
    assert {r["status"] for r in duck.webhook_records()} == {"ok"}


async def test_a_text_only_edit_in_an_old_month_which_a_sync_cannot_see_arrives_by_webhook(duck):
    old = raw_entries(duck.fake, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 30, tzinfo=UTC))[0]
    async with fake_client(duck.fake.base_url) as client:
        await client.entries.update(old["id"], EntryUpdate(text="Renamed in an old month"))

    path = Path(duck.mirror.removeprefix("duckdb://"))
    assert duckdb_query(path, f"SELECT text FROM entries WHERE id = {old['id']}") == [("Renamed in an old month",)]
    state = dict(duckdb_query(path, "SELECT key, value FROM sync_state"))
    assert state["last_webhook_event"] == f"entry.updated {old['id']}"
    status = mirror_status(duck.mirror, FrozenClock(NOW), ())
    assert (status.webhook_events, status.last_webhook_at) == (1, NOW)


async def test_a_delivery_sent_twice_or_out_of_order_leaves_the_mirror_equal_to_clockodo(duck):
    entry = raw_entries(duck.fake, datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))[0]
    async with fake_client(duck.fake.base_url) as client:
        await client.entries.update(entry["id"], EntryUpdate(text="First"))
        first = duck.webhooks.deliveries[-1].body
        await client.entries.update(entry["id"], EntryUpdate(text="Second"))

    again = post(duck, first)  # the older delivery, late and twice
    post(duck, first)

    assert again.status_code == 200
    assert again.json()["outcome"] == "merged"
    assert duck_entries(duck)[entry["id"]] == clockodo_entries(duck.fake.base_url)[entry["id"]]


def test_a_wrong_token_is_refused_with_401_changes_nothing_and_is_audited(duck):
    before = duck_entries(duck)
    some = next(iter(before))

    wrong = post(duck, delivery("entry.deleted", some, token="not-the-token"))
    missing = post(duck, {k: v for k, v in delivery("entry.deleted", some).items() if k != "token"})

    assert wrong.status_code == missing.status_code == 401
    assert "CLOCKODO_MCP_WEBHOOK_TOKEN" in wrong.json()["message"]
    assert duck_entries(duck) == before
    records = duck.webhook_records()
    assert [r["error"] for r in records] == ["unauthorized", "unauthorized"]
    assert TOKEN not in duck.audit.read_text()


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "not JSON"),
        (b"[1, 2]", 400, "not an object"),
        (json.dumps({"token": TOKEN, "event_name": "entry.updated"}).encode(), 400, "'payload'"),
        (json.dumps({**delivery("entry.updated", 1), "payload": {"entry": {"id": "7"}}}).encode(), 400, "id"),
        (b"{" + b" " * 70_000 + b"}", 413, "64 KiB"),
    ],
)
def test_a_malformed_body_is_refused_naming_the_expected_shape_and_changes_nothing(duck, body, status, says):
    before = duck_entries(duck)

    response = post(duck, body)

    assert response.status_code == status
    assert says in response.json()["message"]
    assert duck_entries(duck) == before
    assert duck.webhook_records()[-1]["status"] == "rejected"


def test_only_post_is_accepted_at_the_webhook_path(duck):
    response = httpx.get(duck.url, timeout=30)

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_clockodos_url_validation_is_answered_and_its_secret_logged_for_the_user(duck, caplog):
    with caplog.at_level("WARNING", logger="clockodo_mcp.webhooks"):
        response = post(duck, {"secret": "1f7c2f1e-0000-4000-8000-000000000001"})

    assert response.status_code == 200
    assert response.json()["secret"] == "1f7c2f1e-0000-4000-8000-000000000001"
    assert "1f7c2f1e-0000-4000-8000-000000000001" in caplog.text
    assert duck.webhook_records()[-1]["outcome"] == "url_validation"


def test_an_event_on_records_the_mirror_does_not_hold_is_accepted_and_ignored(duck):
    response = post(duck, delivery("holidays_carry.created", 3))

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"


def test_a_mirror_held_by_another_process_answers_503_and_the_redelivery_applies_once(duck):
    entry = raw_entries(duck.fake, datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))[0]
    path = duck.mirror.removeprefix("duckdb://")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({path!r}); print('held', flush=True); input()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        httpx.put(
            f"{duck.fake.base_url}/v2/entries/{entry['id']}",
            json={"text": "Edited while a sync held the mirror"},
            headers=HEADERS,
            timeout=30,
        ).raise_for_status()
        refused = duck.webhooks.deliveries[-1]
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
        assert holder.stdout is not None
        holder.stdout.close()

    again = post(duck, refused.body)

    assert refused.status == 503
    assert again.status_code == 200
    assert duck_entries(duck)[entry["id"]][9] == "Edited while a sync held the mirror"
    assert [r["status"] for r in duck.webhook_records()] == ["error", "ok"]
    assert "clockodo-mcp sync" in duck.webhook_records()[0]["message"]


def test_a_webhook_before_the_first_sync_is_accepted_and_left_to_that_sync(tmp_path):
    mirror = "duckdb://" + (tmp_path / "none.duckdb").as_posix()
    with BackgroundFakeServer(seed(seed=7, today=TODAY), now=FrozenClock(NOW).now) as server:
        runtime = runtime_for(server.base_url, tmp_path, mirror_url=mirror, webhook_token=TOKEN)
        app = http_app(build_server(runtime), "http", webhooks=webhook_receiver(runtime, "http"))
        with serving(app) as base:
            response = httpx.post(base + PATH, json=delivery("entry.updated", 1), timeout=30)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert not (tmp_path / "none.duckdb").exists()


@pytest.fixture
def parquet(tmp_path: Path) -> Iterator[Receiving]:
    yield from receiving(tmp_path, "parquet://" + (tmp_path / "parquet").as_posix())


@pytest.fixture
def postgres(tmp_path: Path, pg_schema: str) -> Iterator[Receiving]:
    yield from receiving(tmp_path, f"{PG_URL}?schema={pg_schema}")


async def test_webhooks_keep_a_parquet_mirror_equal_to_clockodo(parquet, tmp_path):
    async with fake_client(parquet.fake.base_url) as client:
        ids = await change_everything(client, parquet.fake)

    assert mirror_entries(parquet_query(tmp_path / "parquet", entries_sql())) == clockodo_entries(parquet.fake.base_url)
    assert ids["absence"] not in {row[0] for row in parquet_query(tmp_path / "parquet", "SELECT id FROM absences")}


async def test_webhooks_keep_a_postgresql_mirror_equal_to_clockodo(postgres, pg_schema):
    async with fake_client(postgres.fake.base_url) as client:
        ids = await change_everything(client, postgres.fake)

    assert mirror_entries(pg_query(pg_schema, entries_sql())) == clockodo_entries(postgres.fake.base_url)
    assert ids["absence"] not in {row[0] for row in pg_query(pg_schema, "SELECT id FROM absences")}
    assert ids["project"] in {row[0] for row in pg_query(pg_schema, "SELECT id FROM projects")}


@pytest.mark.parametrize(
    ("config", "transport", "says"),
    [
        ({"webhook_token": TOKEN}, "http", "CLOCKODO_MCP_MIRROR"),
        ({"webhook_token": TOKEN, "mirror_url": "duckdb:///tmp/m.duckdb"}, "stdio", "--transport http"),
        ({"webhook_token": "short", "mirror_url": "duckdb:///tmp/m.duckdb"}, "http", "at least 16"),
        ({"webhook_token": TOKEN, "mirror_url": "duckdb:///tmp/m.duckdb", "webhook_path": "/mcp"}, "http", "/mcp"),
        ({"webhook_token": TOKEN, "mirror_url": "mysql://x"}, "http", "unknown scheme"),
    ],
)
def test_webhook_settings_that_cannot_work_are_refused_before_the_server_starts(tmp_path, config, transport, says):
    runtime = runtime_for("http://127.0.0.1:9/api", tmp_path, **config)

    with pytest.raises(ConfigError, match=says):
        webhook_receiver(runtime, transport)


def test_without_a_webhook_token_the_server_has_no_receiver(tmp_path):
    assert webhook_receiver(runtime_for("http://127.0.0.1:9/api", tmp_path), "http") is None
