"""The fake over real loopback HTTP, and the `fake-server` entry point's host guard."""

from __future__ import annotations

import httpx
import pytest

from clockodo_mcp.fake import OWNER_EMAIL, OWNER_KEY
from clockodo_mcp.fake.faults import FaultConfig
from clockodo_mcp.fake.server import BackgroundFakeServer, is_loopback, serve

from .conftest import NOW, headers, make_dataset


async def test_background_server_answers_over_real_http() -> None:
    faults = FaultConfig()
    with BackgroundFakeServer(make_dataset(), faults=faults, now=lambda: NOW) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.base_url.endswith("/api")
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers(OWNER_EMAIL, OWNER_KEY)) as client:
            me = await client.get("/v4/users/me")
            assert me.json()["data"]["email"] == OWNER_EMAIL
            created = await client.post(
                "/v2/entries",
                json={
                    "customers_id": 1,
                    "services_id": 30,
                    "billable": 1,
                    "time_since": "2026-11-20T09:00:00Z",
                    "time_until": "2026-11-20T10:00:00Z",
                },
            )
            ident = created.json()["entry"]["id"]
            assert server.app.state.store.entry(ident) is not None
            faults.inject("drop")
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/v4/users/me")
            assert (await client.get("/v4/users/me")).status_code == 200


def test_background_server_refuses_remote_hosts() -> None:
    with pytest.raises(ValueError, match="loopback"):
        BackgroundFakeServer(make_dataset(), host="0.0.0.0")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.2", False),
        ("example.com", False),
    ],
)
def test_loopback_detection(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_serve_refuses_a_public_host_without_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve(host="0.0.0.0", port=1) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_serve_refuses_an_unknown_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve(size="huge") == 2
    assert "Unknown size" in capsys.readouterr().err
