"""Every error family: status → class, the three Clockodo error bodies, and messages that say what to fix."""

from __future__ import annotations

import httpx
import pytest
import respx

from clockodo_mcp.clockodo import (
    ClockodoAuthenticationError,
    ClockodoClient,
    ClockodoConflictError,
    ClockodoError,
    ClockodoErrorItem,
    ClockodoForbiddenError,
    ClockodoNotFoundError,
    ClockodoRateLimitedError,
    ClockodoServerError,
    ClockodoTransportError,
    ClockodoUnexpectedResponseError,
    ClockodoValidationError,
    RetryPolicy,
)
from clockodo_mcp.clockodo.errors import parse_error_items, parse_retry_after_seconds

from .conftest import FakeClock, make_client

GENERAL = {"errors": [{"type": "General", "message": "Authentication failed", "details": None, "path": None}]}


@pytest.mark.parametrize(
    ("status", "cls", "hint"),
    [
        (400, ClockodoValidationError, "Fix the fields"),
        (401, ClockodoAuthenticationError, "Check the API user"),
        (403, ClockodoForbiddenError, "access rights"),
        (404, ClockodoNotFoundError, "Check the id"),
        (405, ClockodoUnexpectedResponseError, "documented format"),
        (409, ClockodoConflictError, "already exist"),
        (422, ClockodoValidationError, "Fix the fields"),
        (500, ClockodoServerError, "try again later"),
    ],
)
async def test_status_maps_to_one_class(
    api: respx.MockRouter, client: ClockodoClient, status: int, cls: type[ClockodoError], hint: str
) -> None:
    api.get("/v3/customers/1").respond(status, json=GENERAL)
    with pytest.raises(cls) as caught:
        await client.customers.get(1)
    error = caught.value
    assert type(error) is cls
    assert error.status_code == status
    assert error.method == "GET"
    assert error.url == "https://my.clockodo.com/api/v3/customers/1"
    assert error.items == [ClockodoErrorItem(type="General", message="Authentication failed")]
    assert f"Clockodo answered {status} to GET /api/v3/customers/1: General: Authentication failed." in str(error)
    assert hint in str(error)


async def test_typed_validation_errors_are_parsed(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.post("/v3/customers").respond(
        422,
        json={
            "errors": [
                {
                    "error": {
                        "type": "RelationsPreventDeletion",
                        "message": "There are related records.",
                        "path": "name",
                        "details": {"resources": ["entries"], "count": [3]},
                    }
                },
                {"error": {"type": "FieldsShouldBeEmpty", "message": "", "details": {"fields": ["number"]}}},
            ]
        },
    )
    with pytest.raises(ClockodoValidationError) as caught:
        await client.customers.create(name="ACME")
    first, second = caught.value.items
    assert first.type == "RelationsPreventDeletion"
    assert first.path == "name"
    assert first.details == {"resources": ["entries"], "count": [3]}
    assert second.fields == ["number"]
    assert 'RelationsPreventDeletion at name: There are related records. {"count": [3], "resources": ["entries"]}' in (
        str(caught.value)
    )


async def test_simple_error_body_is_parsed(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.post("/v2/entries").respond(
        400, json={"error": {"code": 400, "message": "time_until is invalid", "fields": ["time_until"]}}
    )
    with pytest.raises(ClockodoValidationError) as caught:
        await client.request("POST", "/v2/entries", json_body={})
    [item] = caught.value.items
    assert item == ClockodoErrorItem(type="HTTP400", message="time_until is invalid", fields=["time_until"])
    assert "HTTP400 at time_until: time_until is invalid" in str(caught.value)


async def test_non_json_error_body_uses_the_reason(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v2/clock").respond(404, text="<html>nope</html>")
    with pytest.raises(ClockodoNotFoundError, match="Not Found") as caught:
        await client.clock.get()
    assert caught.value.items == []


async def test_non_json_success_body_is_unexpected(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v2/clock").respond(200, text="<html>login</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(ClockodoUnexpectedResponseError, match=r"not JSON \(text/html\)"):
        await client.clock.get()


async def test_empty_success_body_then_shape_error(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v2/clock").respond(200)
    with pytest.raises(ClockodoUnexpectedResponseError, match="ClockState did not validate"):
        await client.clock.get()


async def test_rate_limited_error_carries_retry_after(api: respx.MockRouter, clock: FakeClock) -> None:
    api.get("/v2/clock").respond(429, headers={"Retry-After": "7"}, json=GENERAL)
    async with make_client(clock, retry=RetryPolicy.none()) as client:
        with pytest.raises(ClockodoRateLimitedError) as caught:
            await client.clock.get()
    assert caught.value.retry_after == 7.0
    assert "rate limit" in str(caught.value)


async def test_transport_errors_say_what_to_check(api: respx.MockRouter, clock: FakeClock) -> None:
    api.get("/v2/clock").mock(side_effect=httpx.ConnectError("refused"))
    async with make_client(clock, retry=RetryPolicy.none()) as client:
        with pytest.raises(ClockodoTransportError, match="Could not reach Clockodo for GET /v2/clock: ConnectError"):
            await client.clock.get()


def test_error_item_descriptions() -> None:
    assert ClockodoErrorItem().describe() == "unspecified error"
    assert ClockodoErrorItem(message="plain").describe() == "plain"
    assert ClockodoErrorItem(type="X", fields=["a", "b"]).describe() == "X at a, b"


def test_unknown_error_bodies_give_no_items() -> None:
    assert parse_error_items(None) == []
    assert parse_error_items({"errors": ["text", {"type": 5, "message": None}]}) == [ClockodoErrorItem(type="5")]
    assert parse_error_items({"error": "Denied"}) == [ClockodoErrorItem(message="Denied")]
    assert parse_error_items({"something": 1}) == []
    assert parse_error_items({"errors": [{"type": "T", "details": "not an object", "fields": "x"}]}) == [
        ClockodoErrorItem(type="T")
    ]


def test_retry_after_seconds_and_dates() -> None:
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    assert parse_retry_after_seconds(None, now) is None
    assert parse_retry_after_seconds("2.5", now) == 2.5
    assert parse_retry_after_seconds("-3", now) == 0.0
    assert parse_retry_after_seconds("Tue, 14 Nov 2023 22:13:50 GMT", now) == 30.0
    assert parse_retry_after_seconds("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0.0
    assert parse_retry_after_seconds("soon", now) is None
