"""MCP 2026-07-28: a form asked by one replica is answered to another. With CLOCKODO_MCP_SECRET the sealed
`requestState` opens on every replica sharing the secret, and only for the principal it was sealed for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY
from clockodo_mcp.server.request_state import request_state_key, request_state_security
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.tokens import ENV_SECRET
from clockodo_mcp.store import sqlite_url
from tests.server.gating import LOG
from tests.server.shared_endpoint import add_principal, endpoint, shared_runtime

pytestmark = pytest.mark.slow
SECRET = "the-secret-every-replica-shares-0123456789"


class Human:
    """Confirms every form."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.questions.append(params.message)
        return types.ElicitResult(action="accept", content={"confirm": True})


class Resumed(httpx2.AsyncBaseTransport):
    """Sends everything to the first replica, and a request that resumes a form (it carries `requestState`) to the
    second, optionally with another person's bearer token: a load balancer without stickiness."""

    def __init__(self, first: str, second: str, token: str | None = None) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.first, self.second, self.token = first, second, token
        self.resumed = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.content if request.method == "POST" else b""
        if b'"requestState"' in body:
            self.resumed += 1
            headers = dict(request.headers)
            if self.token is not None:
                headers["authorization"] = f"Bearer {self.token}"
            url = str(request.url).replace(self.first, self.second)
            request = httpx2.Request(request.method, url, headers=headers, content=body)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def replicas(fake_app: Any, tmp_path: Path) -> tuple[Runtime, Runtime]:
    url = sqlite_url(tmp_path / "shared.sqlite3")
    one = shared_runtime(fake_app, tmp_path / "audit-1.jsonl", url, confirm="elicit")
    two = shared_runtime(fake_app, tmp_path / "audit-2.jsonl", url, confirm="elicit")
    return one, two


async def log_through(
    first: str, second: str, token: str, human: Human, other: str | None = None
) -> tuple[Resumed, MCPError | None]:
    """log_time confirmed in a form, resumed on the second replica; the router, and the refusal if it was refused."""
    router = Resumed(first, second, other)
    http = httpx2.AsyncClient(transport=router, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    transport = streamable_http_client(f"{first}/mcp", http_client=http)
    async with http, Client(transport, mode="2026-07-28", elicitation_callback=human) as client:
        try:
            result = await client.call_tool("log_time", {**LOG, "text": "Confirmed on another replica"})
        except MCPError as error:
            return router, error
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["status"] == "applied"
    return router, None


async def test_a_form_asked_by_one_replica_is_answered_to_another_with_the_same_secret(fake_app, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SECRET, SECRET)
    one, two = replicas(fake_app, tmp_path)
    token = add_principal(one.store, "otto", OWNER_EMAIL, OWNER_KEY)
    human = Human()
    with endpoint(one) as first, endpoint(two) as second:
        router, refused = await log_through(first, second, token, human)
    assert refused is None
    assert router.resumed == 1
    assert len(human.questions) == 1
    (change,) = two.store.list_changes()
    assert change.principal == "otto"
    assert change.confirmed_by == "elicitation"


async def test_a_replica_with_another_secret_refuses_the_state(fake_app, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SECRET, SECRET)
    one, _ = replicas(fake_app, tmp_path)
    with endpoint(one) as first:
        monkeypatch.setenv(ENV_SECRET, "another-secret-of-another-deployment-0123")
        _, two = replicas(fake_app, tmp_path)
        token = add_principal(one.store, "otto", OWNER_EMAIL, OWNER_KEY)
        with endpoint(two) as second:
            router, refused = await log_through(first, second, token, Human())
    assert router.resumed == 1
    assert refused is not None
    assert "Invalid or expired requestState" in str(refused)
    assert one.store.list_changes() == []


async def test_the_state_of_one_principal_is_refused_to_another(fake_app, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SECRET, SECRET)
    one, two = replicas(fake_app, tmp_path)
    otto = add_principal(one.store, "otto", OWNER_EMAIL, OWNER_KEY)
    wanda = add_principal(one.store, "wanda", WORKER_EMAIL, WORKER_KEY)
    with endpoint(one) as first, endpoint(two) as second:
        router, refused = await log_through(first, second, otto, Human(), other=wanda)
    assert router.resumed == 1
    assert refused is not None
    assert "Invalid or expired requestState" in str(refused)
    assert one.store.list_changes() == []


def test_without_the_secret_the_sdk_keeps_its_per_process_key():
    assert request_state_security({}) is None
    assert request_state_security({ENV_SECRET: SECRET}) is not None


def test_the_request_state_key_is_derived_under_its_own_label():
    import hashlib

    key = request_state_key(SECRET)
    assert len(key) == 32
    assert key == request_state_key(SECRET)
    assert key != request_state_key(SECRET + "x")
    assert key != hashlib.sha256(SECRET.encode()).digest()  # never the confirmation tokens' key
