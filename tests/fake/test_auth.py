"""Authentication, client identification and the error bodies for unknown routes."""

from __future__ import annotations

import base64

import httpx

from clockodo_mcp.fake import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY

from .conftest import APP_HEADER, ClientFactory, general_error, headers


async def test_missing_credentials_are_401_with_general_errors(client_for: ClientFactory) -> None:
    response = await client_for(APP_HEADER).get("/v4/users/me")
    assert response.status_code == 401
    assert general_error(response.json())["type"] == "Unauthorized"


async def test_wrong_key_is_401(client_for: ClientFactory) -> None:
    response = await client_for(headers(OWNER_EMAIL, WORKER_KEY)).get("/v4/users/me")
    assert response.status_code == 401


async def test_missing_external_application_header_is_401(client_for: ClientFactory) -> None:
    client = client_for({"X-ClockodoApiUser": OWNER_EMAIL, "X-ClockodoApiKey": OWNER_KEY})
    response = await client.get("/v4/users/me")
    assert response.status_code == 401
    assert "X-Clockodo-External-Application" in general_error(response.json())["message"]


async def test_basic_auth_works(client_for: ClientFactory) -> None:
    token = base64.b64encode(f"{WORKER_EMAIL}:{WORKER_KEY}".encode()).decode()
    client = client_for({"Authorization": f"Basic {token}", **APP_HEADER})
    response = await client.get("/v4/users/me")
    assert response.status_code == 200
    assert response.json()["data"]["email"] == WORKER_EMAIL


async def test_malformed_basic_auth_is_401(client_for: ClientFactory) -> None:
    for value in ("Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode(), "Bearer x"):
        response = await client_for({"Authorization": value, **APP_HEADER}).get("/v4/users/me")
        assert response.status_code == 401


async def test_e_mail_is_case_insensitive(client_for: ClientFactory) -> None:
    response = await client_for(headers(OWNER_EMAIL.upper(), OWNER_KEY)).get("/v4/users/me")
    assert response.status_code == 200


async def test_archived_user_cannot_log_in(client_for: ClientFactory) -> None:
    response = await client_for(headers("gone@demo.example", "demo-key-4")).get("/v4/users/me")
    assert response.status_code == 401


async def test_unknown_route_and_wrong_method_have_general_error_bodies(owner: httpx.AsyncClient) -> None:
    missing = await owner.get("/v9/nothing")
    assert missing.status_code == 404
    general_error(missing.json())
    wrong = await owner.patch("/v2/entries/1", json={})
    assert wrong.status_code == 405
    general_error(wrong.json())
