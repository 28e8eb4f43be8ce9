"""Client construction: headers, header validation, credentials, transport injection."""

from __future__ import annotations

import httpx
import pytest
import respx

from clockodo_mcp.clockodo import ClockodoArgumentError, ClockodoClient
from clockodo_mcp.clockodo.client import external_application_header

from .conftest import FakeClock, make_client

CLOCK = {"running": None, "stopped": None, "current_time": "2024-03-04T09:00:00Z"}


async def test_every_request_carries_the_clockodo_headers(api: respx.MockRouter, clock: FakeClock) -> None:
    route = api.get("/v2/clock").respond(json=CLOCK)
    async with make_client(clock, language="de") as client:
        await client.clock.get()
    headers = route.calls.last.request.headers
    assert headers["X-ClockodoApiUser"] == "owner@demo.example"
    assert headers["X-ClockodoApiKey"] == "secret-key"
    assert headers["X-Clockodo-External-Application"] == "clockodo-mcp;dev@example.com"
    assert headers["Accept-Language"] == "de"
    assert headers["X-ClockodoEnableIsoUtcDateTimes"] == "1"
    assert "Content-Type" not in headers


async def test_language_can_be_left_out(api: respx.MockRouter, clock: FakeClock) -> None:
    route = api.get("/v2/clock").respond(json=CLOCK)
    async with make_client(clock, language=None) as client:
        await client.clock.get()
    assert "Accept-Language" not in route.calls.last.request.headers


async def test_an_injected_transport_and_base_url_are_used(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=CLOCK)

    transport = httpx.MockTransport(handler)
    async with make_client(clock, base_url="http://fake.local/api/", transport=transport) as client:
        await client.clock.get()
    assert str(seen[0].url) == "http://fake.local/api/v2/clock"


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"api_user": ""}, "api_user"),
        ({"api_key": "  "}, "api_key"),
        ({"app_name": ""}, "app_name"),
        ({"app_email": ""}, "app_email"),
        ({"app_email": "not-an-email"}, "app_email"),
        ({"app_name": "a;b"}, "app_name"),
        ({"app_name": "x" * 40}, "app_name"),
        ({"language": ""}, "language"),
        ({"base_url": "my.clockodo.com"}, "base_url"),
        ({"timeout": 0}, "timeout"),
        ({"page_concurrency": 0}, "page_concurrency"),
    ],
)
def test_bad_configuration_is_refused_naming_the_parameter(
    clock: FakeClock, overrides: dict[str, object], parameter: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{parameter}: "):
        make_client(clock, **overrides)


def test_header_of_exactly_fifty_characters_is_accepted() -> None:
    name = "n" * (50 - len(";dev@example.com"))
    assert len(external_application_header(name, "dev@example.com")) == 50
    with pytest.raises(ClockodoArgumentError, match="51 characters"):
        external_application_header(name + "n", "dev@example.com")


async def test_client_defaults(clock: FakeClock) -> None:
    client = ClockodoClient(api_user="u@example.com", api_key="k", app_name="app", app_email="a@example.com")
    assert client.base_url == "https://my.clockodo.com/api"
    assert client.page_concurrency == 4
    assert client.request_count == 0
    await client.aclose()


async def test_works_over_an_asgi_transport(clock: FakeClock) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def clock_endpoint(request: Request) -> JSONResponse:
        assert request.headers["X-Clockodo-External-Application"] == "clockodo-mcp;dev@example.com"
        return JSONResponse({**CLOCK, "users_id_seen": request.query_params.get("users_id")})

    app = Starlette(routes=[Route("/api/v2/clock", clock_endpoint)])
    transport = httpx.ASGITransport(app=app)
    async with make_client(clock, base_url="http://fake/api", transport=transport) as client:
        state = await client.clock.get(users_id=3)
    assert state.model_extra == {"users_id_seen": "3"}
