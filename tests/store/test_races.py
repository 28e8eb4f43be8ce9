"""Two real server processes sharing a secret and a store (an SQLite file, or PostgreSQL as replicas share it) confirm
one token at the same moment: exactly one applies, every time; and a third process started later refuses the same
token, naming the change that used it."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from clockodo_mcp.audit import verify
from clockodo_mcp.audit.pg import verify_pg
from clockodo_mcp.fake.demo import seed
from clockodo_mcp.fake.server import BackgroundFakeServer
from clockodo_mcp.store import SQLiteStore, open_store
from tests.store.race_worker import NOW

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RACES_PER_TOOL = 12  # 24 races in all
TIMEOUT = 120.0


class CountWrites:
    """ASGI middleware on the fake: every request that is not a GET, by method and path."""

    def __init__(self, app: ASGIApp, writes: list[tuple[str, str]]) -> None:
        self.app, self.writes = app, writes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] != "GET":
            self.writes.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


class Worker:
    """A server process (tests/store/race_worker.py) spoken to over its stdin and stdout."""

    def __init__(self, base_url: str, env: dict[str, str], log: Path) -> None:
        self._stderr = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store.race_worker", base_url],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        self._pump_thread = threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True)
        self._pump_thread.start()
        self.log = log

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)

    def send(self, tool: str, args: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"tool": tool, "args": args}) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"worker gave no answer; its stderr:\n{self.log.read_text()}") from None
        answer: dict[str, Any] = json.loads(line)
        return answer

    def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        self.send(tool, args)
        return self.receive()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=30)
            self._pump_thread.join(timeout=30)  # it ends at the end of the worker's stdout
            assert self.proc.stdout is not None
            self.proc.stdout.close()
            self._stderr.close()


@pytest.fixture
def fake() -> Iterator[tuple[BackgroundFakeServer, list[tuple[str, str]]]]:
    writes: list[tuple[str, str]] = []
    server = BackgroundFakeServer(seed(seed=7, today=date(2026, 11, 24)), now=lambda: NOW)
    server.app.add_middleware(CountWrites, writes=writes)
    with server:
        yield server, writes


@pytest.fixture
def env(tmp_path: Path, store_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CLOCKODO_MCP_SECRET": "one secret shared by every serve process",
        "CLOCKODO_MCP_STORE": store_url,
        "CLOCKODO_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        # A PostgreSQL store keeps the audit chain itself, signed with the key every replica shares.
        "CLOCKODO_MCP_AUDIT_KEY": "an audit key shared by every serve process, 32+ characters",
    }


def races() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(RACES_PER_TOOL):
        start = f"{6 + i // 3:02d}:{(i % 3) * 20:02d}"
        log = {"project": "Phoenix", "service": "Development", "date": "2026-11-22", "start": start}
        out.append(("log_time", {**log, "duration": "15m", "text": f"race {i}"}))
        out.append(("set_project_budget", {"project": "Phoenix", "amount": 130 + i, "unit": "hours"}))
    return out


def test_two_processes_confirming_one_token_at_once_apply_it_exactly_once(fake, env, tmp_path, store_url):
    server, writes = fake
    first = Worker(server.base_url, env, tmp_path / "first.log")
    second = Worker(server.base_url, env, tmp_path / "second.log")
    applies: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    try:
        assert first.receive() == {"ready": True}
        assert second.receive() == {"ready": True}
        last: tuple[str, dict[str, Any], str] | None = None
        for number, (tool, args) in enumerate(races(), start=1):
            preview = first.call(tool, args)
            assert "result" in preview, (number, preview)
            token = preview["result"]["confirm_token"]
            writes_before = len(writes)
            confirmed = {**args, "confirm_token": token}
            first.send(tool, confirmed)  # both are waiting on their stdin: these two lines race
            second.send(tool, confirmed)
            answers = [first.receive(), second.receive()]
            won = [a["result"] for a in answers if "result" in a]
            lost = [a["error"] for a in answers if "error" in a]
            assert len(won) == 1, (number, answers)
            assert won[0]["status"] == "applied"
            (refusal,) = lost
            assert "Nothing was changed" in refusal, refusal
            assert len(writes) - writes_before == 1, (number, writes[writes_before:])  # one apply in the fake
            applies[tool] += 1
            used = f"already used by change {won[0]['change_id']}" in refusal
            refusals["already used by that change" if used else refusal.split(":", 2)[1].strip()[:60]] += 1
            last = (tool, confirmed, won[0]["change_id"])
    finally:
        second.close()
    try:
        # A process started after all that (a restart) refuses the last token too.
        assert last is not None
        tool, confirmed, change_id = last
        third = Worker(server.base_url, env, tmp_path / "third.log")
        assert third.receive() == {"ready": True}
        writes_before = len(writes)
        replay = third.call(tool, confirmed)
        assert f"This confirmation was already used by change {change_id}" in replay["error"]
        assert len(writes) == writes_before
        third.close()
    finally:
        first.close()
    print(f"\nraces: {sum(applies.values())}, applies per tool: {dict(applies)}, refusals: {dict(refusals)}")
    assert applies == {"log_time": RACES_PER_TOOL, "set_project_budget": RACES_PER_TOOL}
    store = open_store(store_url)
    changes = store.list_changes(limit=1000)
    assert Counter(c.status for c in changes) == {"applied": 2 * RACES_PER_TOOL}
    # three processes appended to one keyed chain: the file anchored in SQLite, or the chain in PostgreSQL
    keyed = {"CLOCKODO_MCP_AUDIT_KEY": env["CLOCKODO_MCP_AUDIT_KEY"]}
    if isinstance(store, SQLiteStore):
        audit = verify(tmp_path / "audit.jsonl", store=store, environ=keyed)
    else:
        audit = verify_pg(store, environ=keyed)
    store.close()
    assert audit.ok, audit.reason
