"""Issue 12, structurally: requests and sequential round trips per answer, the master-data cache and whose it is.

Durations are measured in bench/perf.py only. Here a transport records the order in which requests start and end;
it lets the event loop run a while before answering, so requests that are sent concurrently are all in flight
together, and a request that waits for another starts only after that one has ended.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import anyio.lowlevel
import httpx
from mcp import Client

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.fake.demo import OWNER_EMAIL, WORKER_EMAIL, WORKER_KEY
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.runtime import Runtime
from tests.conftest import held_open
from tests.server.conftest import NOW, call, make_runtime
from tests.server.gating import apply

_LET_OTHERS_SEND = 50  # event-loop turns a request waits before it reaches the fake


class OrderedTransport(httpx.AsyncBaseTransport):
    """Records (path, start event, end event) for every request, with one counter for all events."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.events = itertools.count()
        self.requests: list[tuple[str, int, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = next(self.events)
        for _ in range(_LET_OTHERS_SEND):
            await anyio.lowlevel.checkpoint()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.requests.append((request.url.path.removeprefix("/api"), start, next(self.events)))
        return response

    def mark(self) -> int:
        return len(self.requests)

    def paths_since(self, mark: int) -> list[str]:
        return sorted(path for path, _, _ in self.requests[mark:])

    def round_trips_since(self, mark: int) -> int:
        """The longest chain of requests each sent only after the one before it had been answered."""
        chain = sorted(self.requests[mark:], key=lambda r: r[1])
        depth: list[int] = []
        for _, start, _ in chain:
            before = [d for (_, _, end), d in zip(chain, depth, strict=False) if end < start]
            depth.append(1 + max(before, default=0))
        return max(depth, default=0)


def ordered_runtime(fake_app: Any, audit_path: Path, **options: Any) -> tuple[Runtime, OrderedTransport]:
    runtime = make_runtime(fake_app, audit_path, **options)
    transport = OrderedTransport(httpx.ASGITransport(app=fake_app))
    return Runtime(runtime.config, transport=transport, clock=FrozenClock(NOW), store=runtime.store), transport


async def test_the_first_answer_waits_for_one_round_trip_however_many_requests_it_needs(fake_app, audit_path):
    runtime, transport = ordered_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        await call(client, "list_users")
    assert transport.paths_since(0) == sorted(
        [
            "/v4/users/me",
            "/v2/aggregates/users/me",
            "/v3/customers",
            "/v4/projects",
            "/v4/services",
            "/v4/lumpSumServices",
            "/v3/users",
            "/v3/teams",
            "/targethours",
        ]
    )
    assert transport.round_trips_since(0) == 1


async def test_list_users_on_a_warm_cache_costs_no_clockodo_request(fake_app, audit_path):
    runtime, transport = ordered_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        await call(client, "list_users")
        mark = transport.mark()
        warm = await call(client, "list_users", team="Development")
        await call(client, "lookup", query="phoenix")
    assert transport.paths_since(mark) == []
    assert any(u.get("weekly_target_hours") for u in warm["users"])


async def test_list_entries_sends_its_page_and_its_totals_in_one_round_trip(fake_app, audit_path):
    runtime, transport = ordered_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        await call(client, "list_users")
        mark = transport.mark()
        out = await call(client, "list_entries", period="this_month", limit=5)
    assert transport.paths_since(mark) == ["/v2/entries", "/v2/entrygroups"]
    assert transport.round_trips_since(mark) == 1
    assert out["paging"]["returned"] == 5


async def test_a_write_that_touches_master_data_drops_the_cached_target_hours_too(fake_app, audit_path):
    runtime, transport = ordered_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        await call(client, "list_users")
        await apply(client, "set_project_budget", project="Phoenix", amount=120, unit="hours")
        mark = transport.mark()
        await call(client, "list_users")
    assert "/targethours" in transport.paths_since(mark)
    assert "/v3/users" in transport.paths_since(mark)


async def test_two_clockodo_users_in_one_process_each_see_only_their_own_cached_master_data(fake_app, audit_path):
    owner_runtime, _ = ordered_runtime(fake_app, audit_path)
    worker_runtime, _ = ordered_runtime(
        fake_app, audit_path.with_name("worker-audit.jsonl"), user=WORKER_EMAIL, key=WORKER_KEY
    )
    async with (
        held_open(Client(build_server(owner_runtime))) as owner,
        held_open(Client(build_server(worker_runtime))) as worker,
    ):
        everyone = await call(owner, "list_users", limit=120)
        own = await call(worker, "list_users", limit=120)
        everyone_again = await call(owner, "list_users", limit=120)

    def with_targets(answer: dict[str, Any]) -> list[str]:
        return [u["name"] for u in answer["users"] if u.get("weekly_target_hours") is not None]

    assert everyone_again == everyone
    assert len(with_targets(everyone)) > 1
    assert with_targets(own) == ["Tom Becker"]  # Clockodo shows a worker only their own target hours


async def test_a_cache_filled_for_one_api_user_is_never_served_to_another(fake_app, audit_path):
    runtime, transport = ordered_runtime(fake_app, audit_path)
    async with runtime:
        owner_view = await runtime.master()
        owner_account = await runtime.account()
        runtime.config = dataclasses.replace(runtime.config, api_user=WORKER_EMAIL, api_key=WORKER_KEY)
        mark = transport.mark()
        second_view = await runtime.master()
        second_account = await runtime.account()
    assert owner_account.user.email == OWNER_EMAIL
    assert second_view is not owner_view
    assert second_account is not owner_account
    assert "/v3/users" in transport.paths_since(mark)
    assert "/v4/users/me" in transport.paths_since(mark)


async def test_utilization_on_a_warm_cache_takes_its_target_hours_from_the_cache(fake_app, audit_path):
    runtime, transport = ordered_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        await call(client, "list_users")
        mark = transport.mark()
        await call(client, "utilization", period="this_month")
        await call(client, "utilization", period="this_month", user="Sarah Chen")
    assert "/targethours" not in transport.paths_since(mark)


async def test_a_timer_that_keeps_running_costs_no_second_round_trip_at_the_next_lookup(fake_app, audit_path):
    runtime, transport = ordered_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        await call(client, "list_users")
        first_mark = transport.mark()
        first = await call(client, "get_timer", user="everyone")
        first_trips = transport.round_trips_since(first_mark)
        mark = transport.mark()
        again = await call(client, "get_timer", user="everyone")
    assert first_trips == 2  # the forgotten timer is older than 26 hours: its user is listed after the checks
    assert transport.round_trips_since(mark) == 1
    assert again["timers"] == first["timers"]


async def test_a_timer_stopped_since_the_last_lookup_is_no_longer_reported(fake_app, audit_path):
    runtime, _ = ordered_runtime(fake_app, audit_path)
    running = next(e for e in fake_app.state.store.entries if e.time_until is None)
    async with held_open(Client(build_server(runtime))) as client:
        assert [t["entry_id"] for t in (await call(client, "get_timer", user="everyone"))["timers"]] == [running.id]
        running.time_until = NOW
        after = await call(client, "get_timer", user="everyone")
    assert after["timers"] == []
