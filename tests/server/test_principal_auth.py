"""A shared endpoint over real HTTP: each bearer token acts with its own person's Clockodo rights, and is refused the
moment it is removed, on every replica sharing the store."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from clockodo_mcp.audit import iter_records
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY
from clockodo_mcp.principals import PrincipalsError, PrincipalsKey
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ConfigError, ServerConfig
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.transports import http_app
from clockodo_mcp.store import SQLiteStore, open_store, sqlite_url
from clockodo_mcp.store.cli import show_command
from tests.server.conftest import call, call_error
from tests.server.gating import LOG
from tests.server.live import serving
from tests.server.shared_endpoint import WhoAsks, add_principal, connected, endpoint, shared_runtime

pytestmark = pytest.mark.slow
STREAMABLE = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "shared-store.sqlite3")


@pytest.fixture
def shared(fake_app: Any, audit_path: Path, store_url: str) -> Runtime:
    return shared_runtime(fake_app, audit_path, store_url)


@pytest.fixture
def tokens(shared: Runtime) -> dict[str, str]:
    """wanda works (a Clockodo worker), otto owns the company."""
    return {
        "wanda": add_principal(shared.store, "wanda", WORKER_EMAIL, WORKER_KEY),
        "otto": add_principal(shared.store, "otto", OWNER_EMAIL, OWNER_KEY),
    }


async def test_a_worker_cannot_read_through_the_owners_credentials(shared, tokens):
    with endpoint(shared) as base:
        async with connected(base, tokens["wanda"]) as wanda:
            refused = await call_error(wanda, "get_timer", user="Olivia Brandt")
        async with connected(base, tokens["otto"]) as otto:
            allowed = await call(otto, "get_timer", user="Olivia Brandt")
    assert "403" in refused
    assert "Workers can only" in refused
    assert "timers" in allowed


async def test_each_principal_sees_their_own_account_and_master_data(fake_app, audit_path, store_url):
    wire = WhoAsks(fake_app)
    shared = shared_runtime(wire, audit_path, store_url)
    tokens = {
        "wanda": add_principal(shared.store, "wanda", WORKER_EMAIL, WORKER_KEY),
        "otto": add_principal(shared.store, "otto", OWNER_EMAIL, OWNER_KEY),
    }
    with endpoint(shared) as base:
        async with connected(base, tokens["otto"]) as otto:
            owner = json.loads((await otto.read_resource("clockodo://account")).contents[0].text)
            owner_users = json.loads((await otto.read_resource("clockodo://master-data/users")).contents[0].text)
        async with connected(base, tokens["wanda"]) as wanda:
            worker = json.loads((await wanda.read_resource("clockodo://account")).contents[0].text)
            worker_users = json.loads((await wanda.read_resource("clockodo://master-data/users")).contents[0].text)
        async with connected(base, tokens["otto"]) as otto:
            again = json.loads((await otto.read_resource("clockodo://account")).contents[0].text)
    assert owner["user"]["email"] == OWNER_EMAIL
    assert worker["user"]["email"] == WORKER_EMAIL  # not the owner's cached account
    assert again["user"]["email"] == OWNER_EMAIL
    assert worker_users["count"] == owner_users["count"]
    # The worker's master data came from Clockodo with the worker's key, not from the owner's cache; the owner's
    # second read came from the owner's cache.
    users_lists = [who for who, path in wire.asked if path == "/api/v3/users"]
    assert users_lists == [OWNER_EMAIL, WORKER_EMAIL]


async def test_missing_malformed_and_unknown_tokens_get_the_same_401(shared, tokens):
    with endpoint(shared) as base:
        shared.store.remove_principal("otto")
        answers = []
        async with httpx.AsyncClient() as http:
            for header in (
                None,
                "Bearer",
                "Bearer cmcp_not-a-token",
                f"Basic {tokens['wanda']}",
                f"Bearer {tokens['wanda']}x",
                f"Bearer {tokens['otto']}",  # removed
                "Bearer \u00e4\u00f6".encode("latin-1"),
            ):
                headers = {**STREAMABLE, **({"Authorization": header} if header else {})}
                answers.append(await http.post(f"{base}/mcp", json=INITIALIZE, headers=headers))
            allowed = await http.post(
                f"{base}/mcp", json=INITIALIZE, headers={**STREAMABLE, "Authorization": f"bearer {tokens['wanda']}"}
            )
    assert {a.status_code for a in answers} == {401}
    assert {a.content for a in answers} == {answers[0].content}
    assert answers[0].json()["message"] == "Missing or wrong bearer token."
    assert {a.headers["www-authenticate"] for a in answers} == {"Bearer"}
    assert allowed.status_code == 200


@pytest.fixture(params=["sqlite", "postgresql"])
def replicated_store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of the store the replicas share: an SQLite file, or a fresh migrated PostgreSQL schema (whose audit
    chain the replicas sign with the key they share)."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "replicated.sqlite3")
    monkeypatch.setenv("CLOCKODO_MCP_AUDIT_KEY", "an audit key every replica shares, 32+ characters")
    return str(request.getfixturevalue("pg_url"))


async def test_a_removed_token_is_refused_at_once_by_every_replica(fake_app, tmp_path, replicated_store):
    one = shared_runtime(fake_app, tmp_path / "audit-one.jsonl", replicated_store)
    two = shared_runtime(fake_app, tmp_path / "audit-two.jsonl", replicated_store)
    token = add_principal(one.store, "otto", OWNER_EMAIL, OWNER_KEY)
    with endpoint(one) as first, endpoint(two) as second:
        for base in (first, second):
            async with connected(base, token) as otto:
                assert "timers" in await call(otto, "get_timer")
        assert one.store.remove_principal("otto")
        async with httpx.AsyncClient() as http:
            for base in (first, second):
                refused = await http.post(
                    f"{base}/mcp", json=INITIALIZE, headers={**STREAMABLE, "Authorization": f"Bearer {token}"}
                )
                assert refused.status_code == 401, base


async def test_audit_records_and_the_journal_name_the_principal_and_each_sees_only_their_own(
    shared, tokens, audit_path
):
    with endpoint(shared) as base:
        async with connected(base, tokens["otto"]) as otto:
            token = (await call(otto, "log_time", **LOG))["confirm_token"]
            done = await call(otto, "log_time", **LOG, confirm_token=token)
            mine = await call(otto, "list_changes")
        async with connected(base, tokens["wanda"]) as wanda:
            theirs = await call(wanda, "list_changes")
            refused = await call_error(wanda, "undo", change_id=done["change_id"])
            resource = await wanda.read_resource("clockodo://changes")
        async with connected(base, tokens["otto"]) as otto:
            undo = await call(otto, "undo", change_id=done["change_id"])
    change = shared.store.get_change(done["change_id"])
    assert change is not None
    assert change.principal == "otto"
    shown = io.StringIO()
    assert show_command(shared.store, change.change_id, shown) == 0
    assert "for principal 'otto'" in shown.getvalue()
    intents = [r for r in iter_records(audit_path) if r["kind"] == "intent" and r["tool"] == "log_time"]
    assert [r["caller"]["principal"] for r in intents] == ["otto", "otto"]
    reads = [r for r in iter_records(audit_path) if r["kind"] == "intent" and r["tool"] == "resources/read"]
    assert reads[-1]["caller"] == {"principal": "wanda"}
    assert [c["change_id"] for c in mine["changes"]] == [done["change_id"]]
    assert theirs["changes"] == []
    assert json.loads(resource.contents[0].text)["changes"] == []
    assert f"no change with change_id {done['change_id']!r}" in refused
    assert undo["status"] == "preview"


async def test_a_confirm_token_applies_only_for_the_principal_it_was_issued_to(shared, tokens):
    with endpoint(shared) as base:
        async with connected(base, tokens["otto"]) as otto:
            token = (await call(otto, "log_time", **LOG))["confirm_token"]
        async with connected(base, tokens["wanda"]) as wanda:
            refused = await call_error(wanda, "log_time", **LOG, confirm_token=token)
        async with connected(base, tokens["otto"]) as otto:
            applied = await call(otto, "log_time", **LOG, confirm_token=token)
    assert "issued to someone else" in refused
    assert "Nothing was changed" in refused
    assert applied["status"] == "applied"


async def test_a_revoked_clockodo_key_is_a_clear_error_for_that_person_only(shared, tokens, fake_app):
    fake = fake_app.state.store
    owner_id = int(fake.users_by_email[OWNER_EMAIL]["id"])
    with endpoint(shared) as base:
        async with connected(base, tokens["otto"]) as otto:
            assert "timers" in await call(otto, "get_timer")
            fake.api_keys[owner_id] = "rotated-in-clockodo"
            refused = await call_error(otto, "get_timer")
        async with connected(base, tokens["wanda"]) as wanda:
            still = await call(wanda, "get_timer")
    assert "Clockodo refused the API key stored for principal 'otto'" in refused
    assert "clockodo-mcp principals remove otto" in refused
    assert "timers" in still


async def test_an_unreachable_store_fails_closed_with_503(fake_app, tmp_path, audit_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    runtime = shared_runtime(fake_app, audit_path, sqlite_url(tmp_path / "store.sqlite3"))
    app = http_app(build_server(runtime), "http", principals=SQLiteStore(blocked / "store.sqlite3"))
    with serving(app) as base:
        async with httpx.AsyncClient() as http:
            headers = {**STREAMABLE, "Authorization": "Bearer x"}
            answer = await http.post(f"{base}/mcp", json=INITIALIZE, headers=headers)
    assert answer.status_code == 503
    assert "cannot be reached" in answer.json()["message"]


async def test_a_session_opened_by_one_principal_is_refused_to_another(shared, tokens):
    with endpoint(shared) as base:
        async with httpx.AsyncClient() as http:
            opened = await http.post(
                f"{base}/mcp", json=INITIALIZE, headers={**STREAMABLE, "Authorization": f"Bearer {tokens['otto']}"}
            )
            session = opened.headers["mcp-session-id"]
            listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
            stolen = await http.post(
                f"{base}/mcp",
                json=listing,
                headers={**STREAMABLE, "Authorization": f"Bearer {tokens['wanda']}", "Mcp-Session-Id": session},
            )
    assert opened.status_code == 200
    assert stolen.status_code == 404
    assert stolen.json()["error"] == "session_not_found"


def test_principals_and_a_single_auth_token_exclude_each_other(shared):
    with pytest.raises(ConfigError, match="exclude each other"):
        http_app(build_server(shared), "http", auth_token="t" * 32, principals=shared.store)


def test_beyond_loopback_principals_stand_in_for_the_single_token(shared):
    server = build_server(shared)
    assert http_app(server, "http", host="0.0.0.0", allowed_hosts=["mcp.example.com"], principals=shared.store)


def test_a_shared_endpoint_needs_the_principals_key(audit_path, store_url, monkeypatch):
    monkeypatch.delenv("CLOCKODO_MCP_PRINCIPALS_KEY", raising=False)
    config = ServerConfig(principals=True, audit_path=audit_path, store_url=store_url)
    with pytest.raises(PrincipalsError, match="CLOCKODO_MCP_PRINCIPALS_KEY is not set"):
        Runtime(config)


def test_a_shared_endpoint_serves_no_mirror(audit_path, store_url):
    config = ServerConfig(principals=True, audit_path=audit_path, store_url=store_url, mirror_url="duckdb:///m.db")
    with pytest.raises(ConfigError, match="serves no mirror"):
        Runtime(config, principals_key=PrincipalsKey("k" * 32))


async def test_a_principal_whose_key_does_not_open_gets_a_clear_error(shared, tokens, store_url):
    other = PrincipalsKey("another-principals-key-0123456789abcdef")
    token = add_principal(open_store(store_url), "mallory", WORKER_EMAIL, WORKER_KEY, key=other)
    with endpoint(shared) as base:
        async with connected(base, token) as mallory:
            refused = await call_error(mallory, "get_timer")
        async with connected(base, tokens["wanda"]) as wanda:
            assert "timers" in await call(wanda, "get_timer")
    assert "sealed under another CLOCKODO_MCP_PRINCIPALS_KEY" in refused
    assert "principal 'mallory'" in refused
