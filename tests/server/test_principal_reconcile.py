"""A change whose answer was lost is re-read with the Clockodo rights of the principal who made it, or left unknown
(with the reason) when that cannot be done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clockodo_mcp.fake.demo import WORKER_EMAIL, WORKER_KEY
from clockodo_mcp.server.reconcile import reconcile_unsettled
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store import NewChange, sqlite_url
from tests.server.conftest import call, call_error
from tests.server.gating import LOG
from tests.server.shared_endpoint import WhoAsks, add_principal, connected, endpoint, shared_runtime
from tests.server.test_journal import LoseTheAnswer

pytestmark = pytest.mark.slow
WORKED = {**LOG, "text": "Logged by the worker"}


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "shared.sqlite3")


async def lost_change(lossy: LoseTheAnswer, tmp_path: Path, store_url: str) -> tuple[Runtime, str]:
    """wanda (a worker) logs time; Clockodo makes the entry, the answer and every re-read are lost: `unknown`."""
    runtime = shared_runtime(lossy, tmp_path / "audit-lost.jsonl", store_url)
    token = add_principal(runtime.store, "wanda", WORKER_EMAIL, WORKER_KEY)
    with endpoint(runtime) as base:
        async with connected(base, token) as wanda:
            confirm = (await call(wanda, "log_time", **WORKED))["confirm_token"]
            lossy.blind = True
            await call_error(wanda, "log_time", **WORKED, confirm_token=confirm)
    lossy.blind = False
    (change,) = runtime.store.list_changes()
    assert (change.status, change.principal) == ("unknown", "wanda")
    return runtime, change.change_id


async def reconciled(runtime: Runtime) -> list[Any]:
    async with runtime:
        return await reconcile_unsettled(runtime)


async def test_an_unsettled_change_is_re_read_with_the_client_of_the_principal_who_made_it(
    fake_app, tmp_path, store_url
):
    lossy = LoseTheAnswer(fake_app, "POST", "/api/v2/entries")
    _, change_id = await lost_change(lossy, tmp_path, store_url)
    wire = WhoAsks(lossy)
    (done,) = await reconciled(shared_runtime(wire, tmp_path / "audit.jsonl", store_url))
    assert (done.change_id, done.decision) == (change_id, "applied")
    assert wire.asked
    assert {who for who, _ in wire.asked} == {WORKER_EMAIL}


async def test_a_change_of_a_removed_principal_stays_unknown_and_says_why(fake_app, tmp_path, store_url):
    lossy = LoseTheAnswer(fake_app, "POST", "/api/v2/entries")
    runtime, change_id = await lost_change(lossy, tmp_path, store_url)
    assert runtime.store.remove_principal("wanda")
    wire = WhoAsks(lossy)
    (done,) = await reconciled(shared_runtime(wire, tmp_path / "audit.jsonl", store_url))
    assert done.decision == "unknown"
    assert "principal 'wanda', who made it, was removed" in done.reason
    assert wire.asked == []  # nobody else's rights were used to look
    settled = runtime.store.get_change(change_id)
    assert settled is not None
    assert settled.status == "unknown"
    add_principal(runtime.store, "wanda", WORKER_EMAIL, WORKER_KEY)  # back, with a new token
    (again,) = await reconciled(shared_runtime(fake_app, tmp_path / "audit.jsonl", store_url))
    assert again.decision == "applied"


async def test_a_shared_endpoint_leaves_a_single_user_change_to_its_own_server(fake_app, tmp_path, store_url):
    runtime = shared_runtime(fake_app, tmp_path / "audit.jsonl", store_url)
    runtime.store.begin_change(
        NewChange(
            change_id="0123456789abcdef",
            tool="log_time",
            args={},
            before=None,
            planned=None,
            confirmed_by="token",
        )
    )
    runtime.store.finish_change("0123456789abcdef", "unknown", error="lost")
    (done,) = await reconciled(runtime)
    assert done.decision == "unknown"
    assert "single-user server" in done.reason
