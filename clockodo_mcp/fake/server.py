"""Running the fake: `serve()` for `clockodo-mcp fake-server`, `BackgroundFakeServer` for tests and benchmarks."""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Callable
from datetime import date, datetime
from types import TracebackType
from typing import Literal

import uvicorn
from starlette.applications import Starlette

from clockodo_mcp.clock import DEMO_ZONE, clock_for
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.auth import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY
from clockodo_mcp.fake.dataset import Dataset
from clockodo_mcp.fake.faults import FaultConfig
from clockodo_mcp.fake.webhooks import Webhooks


def is_loopback(host: str) -> bool:
    """Whether `host` only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def serve(
    host: str = "127.0.0.1",
    port: int = 8800,
    seed: int = 7,
    size: int | str = "small",
    allow_remote: bool = False,
    today: date | None = None,
    webhooks: Webhooks | None = None,
) -> int:
    """Serve the demo company with uvicorn until interrupted; 2 when a non-loopback host or bad size is refused."""
    if not is_loopback(host) and not allow_remote:
        print(
            f"Refusing to serve the fake Clockodo on {host!r}: it has fixed demo credentials. "
            "Use a loopback host such as 127.0.0.1, or pass --allow-remote if you really mean it.",
            file=sys.stderr,
        )
        return 2
    company_size = _company_size(size)
    if company_size is None:
        print(f"Unknown size {size!r}: use small, large or a number of entries.", file=sys.stderr)
        return 2
    from clockodo_mcp.fake.demo import seed as seed_demo

    clock = clock_for(today)
    day = clock.now().astimezone(DEMO_ZONE).date()
    app = create_app(seed_demo(seed=seed, size=company_size, today=day), now=clock.now, webhooks=webhooks)
    print(f"Fake Clockodo API: http://{_url_host(host)}:{port}/api", file=sys.stderr)
    print(f"  owner:  {OWNER_EMAIL} / {OWNER_KEY}", file=sys.stderr)
    print(f"  worker: {WORKER_EMAIL} / {WORKER_KEY}", file=sys.stderr)
    print("  send X-Clockodo-External-Application: <app>;<e-mail> with every request", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")
    return 0


def _company_size(size: int | str) -> int | Literal["small", "large"] | None:
    if isinstance(size, int):
        return size if size > 0 else None
    if size == "small":
        return "small"
    if size == "large":
        return "large"
    return int(size) if size.isdigit() and int(size) > 0 else None


class BackgroundFakeServer:
    """The fake on an ephemeral loopback port in a background thread (a context manager)."""

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultConfig | None = None,
        now: Callable[[], datetime] | None = None,
        webhooks: Webhooks | None = None,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"BackgroundFakeServer only listens on loopback hosts, not {host!r}")
        self.app: Starlette = create_app(dataset, faults=faults, now=now, webhooks=webhooks)
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.base_url = ""

    def __enter__(self) -> BackgroundFakeServer:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        # Listening before uvicorn starts: early connections wait in the backlog, so callers need not poll.
        sock.listen(128)
        self._socket = sock
        port = sock.getsockname()[1]
        self.base_url = f"http://{_url_host(self._host)}:{port}/api"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="fake-clockodo", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
