"""Bad input on every route: malformed parameters, unknown ids, wrong types — Clockodo's error bodies, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from clockodo_mcp.fake import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.params import format_ts, parse_query, parse_ts

from .conftest import NOW, headers, make_dataset

GARBAGE_QUERIES: list[dict[str, Any]] = [
    {"time_since": "x", "time_until": "y", "filter[users_id]": "abc", "page": "-1", "grouping[]": "x"},
    {
        "time_since": "2026-12-01T00:00:00Z",
        "time_until": "2026-11-01T00:00:00Z",
        "grouping[]": "users_id",
        "date_since": "2026-12-01",
        "date_until": "2026-11-01",
        "year": "2026",
    },
    {"filter": "3", "sort[]": "-", "items_per_page": "99999999", "year": "-5", "type": "x", "users_id": "0"},
    {"filter[users_id][deep]": "1", "enhanced_list": "yes", "nonbusiness_group_id[]": "x", "scope": "?"},
]
GARBAGE_BODIES: list[Any] = [
    {
        "customers_id": "abc",
        "billable": "x",
        "budget": "nope",
        "date_since": 5,
        "type": "x",
        "hourly_rate": "NaN",
        "name": 7,
        "filter": 3,
        "completed": "maybe",
        "ids": "a,b",
        "duration": -1,
        "user_ids": ["x"],
    },
    {
        "customers_id": 99999,
        "services_id": 99999,
        "projects_id": 99999,
        "users_id": 99999,
        "billable": 1,
        "time_since": "2026-11-20T09:00:00Z",
        "time_until": "2026-11-20T10:00:00Z",
        "name": "X",
        "price": 1,
        "date_since": "2026-02-30",
        "type": 1,
        "hourly_rate": 1,
        "customer_ids": [99999],
        "completed": True,
        "billed": True,
        "email": "x@example.com",
        "role": "worker",
        "duration": 1,
        "ids": [99999],
    },
    {
        "time_since": None,
        "customers_id": None,
        "name": None,
        "budget": {"amount": "x"},
        "status": 9,
        "billable": None,
        "date_since": None,
        "hourly_rate": None,
        "duration": None,
        "confirm_key": 5,
    },
    ["not", "an", "object"],
]


def operations(app: Starlette) -> list[tuple[str, str]]:
    found = []
    for mount in app.routes:
        assert isinstance(mount, Mount)
        for route in mount.routes:
            assert isinstance(route, Route)
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    found.append((method, route.path))
    return found


OPERATIONS = operations(create_app(make_dataset(), now=lambda: NOW))


def assert_clockodo_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.method, response.request.url, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert set(body) in ({"errors"}, {"error"}), body


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
async def test_route_survives_garbage(
    method: str, path: str, owner: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    for ident in ("1", "999999", "0"):
        url = path.replace("{id:int}", ident)
        for client in (owner, worker):
            for query in GARBAGE_QUERIES:
                for body in GARBAGE_BODIES if method in ("POST", "PUT", "DELETE") else [None]:
                    response = await client.request(method, url, params=query, json=body)
                    assert_clockodo_error(response)
            raw = await client.request(method, url, content=b"\xff{", headers={"content-type": "application/json"})
            assert_clockodo_error(raw)
            form = await client.request(
                method, url, content=b"a[=1&%zz", headers={"content-type": "application/x-www-form-urlencoded"}
            )
            assert_clockodo_error(form)


def test_parse_query_nests_brackets() -> None:
    parsed = parse_query(
        [
            ("filter[users_id]", "5"),
            ("grouping[]", "a"),
            ("grouping[]", "b"),
            ("filter[year][]", "2026"),
            ("sort", "x"),
            ("sort", "y"),
            ("ids[0]", "1"),
        ]
    )
    assert parsed == {
        "filter": {"users_id": "5", "year": ["2026"]},
        "grouping": ["a", "b"],
        "sort": ["x", "y"],
        "ids": ["1"],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T12:00:00Z", "2026-11-24T12:00:00Z"),
        ("2026-11-24T13:00:00+01:00", "2026-11-24T12:00:00Z"),
        ("2026-11-24 12:00:00", "2026-11-24T12:00:00Z"),
        ("2026-11-24T12:00:00", None),
        ("2026-11-24", None),
        ("2026-02-30T12:00:00Z", None),
        ("2026-11-24T12:00:00.123Z", None),
        ("tomorrow", None),
    ],
)
def test_timestamps_accepted_on_input(text: str, expected: str | None) -> None:
    parsed = parse_ts(text)
    assert (format_ts(parsed) if parsed else None) == expected


async def test_the_demo_company_is_the_default_dataset() -> None:
    app = create_app(now=lambda: NOW)
    transport = httpx.ASGITransport(app=app)
    for email, key, role in ((OWNER_EMAIL, OWNER_KEY, "owner"), (WORKER_EMAIL, WORKER_KEY, "worker")):
        async with httpx.AsyncClient(transport=transport, base_url="http://fake/api", headers=headers(email, key)) as c:
            me = await c.get("/v4/users/me")
            assert me.json()["data"]["role"] == role
