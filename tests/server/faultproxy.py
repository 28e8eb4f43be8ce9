"""A fault-injecting HTTP/1.1 proxy on a real loopback socket, between the server and the fake Clockodo.

It relays request/response pairs (keep-alive, Content-Length bodies) and, once armed, lets the fake apply the write
it is aimed at and then loses or corrupts the answer: a timeout (the answer is held back), a reset (RST, nothing
sent), a truncated body, a 500, invalid JSON or 429s on the read-back, a 429 on the write itself (never forwarded),
or a kill -9 of the server process between the send and the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal[
    "timeout", "reset", "truncated", "500_readback", "bad_json_readback", "429_readback", "429_write", "kill"
]
FAULTS: tuple[FaultKind, ...] = (
    "timeout",
    "reset",
    "truncated",
    "500_readback",
    "bad_json_readback",
    "429_readback",
    "429_write",
)
RATE_LIMITED_READS = 4  # the client's attempts at one GET: every one of the read-back's gets a 429

Aim = Callable[[str, str, bytes], bool]  # (method, path, body) → is this the write to hit?


def first_write(method: str, path: str, body: bytes) -> bool:
    """The first request that is not a GET."""
    return method != "GET"


@dataclass
class Request:
    method: str
    path: str
    head: bytes
    body: bytes


@dataclass
class FaultProxy:
    """`async with FaultProxy(upstream_port) as proxy:` then `proxy.arm(kind)` before the call to hit."""

    upstream_port: int
    kind: FaultKind | None = None
    aim: Aim = first_write
    kill_pid: int | None = None
    fired: list[str] = field(default_factory=list)
    _after_write: int = 0  # read-back faults still to deal out
    _hit: tuple[str, str] | None = None  # the write that was hit (its retries get the same 429)
    _server: asyncio.Server | None = None
    port: int = 0

    def arm(self, kind: FaultKind, aim: Aim = first_write, kill_pid: int | None = None) -> None:
        """Hit the next request `aim` accepts with `kind`."""
        self.kind, self.aim, self.kill_pid, self._after_write = kind, aim, kill_pid, 0
        self.fired, self._hit = [], None

    def disarm(self) -> None:
        """Relay everything unchanged again."""
        self.kind, self._after_write = None, 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                if upstream is None:
                    upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
                if not await self._relay(request, reader, writer, upstream):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            return
        finally:
            if upstream is not None:
                upstream[1].close()
            with contextlib.suppress(Exception):
                writer.close()

    async def _relay(
        self,
        request: Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> bool:
        """Forward one exchange, faulted or not; False when the client connection is to end."""
        kind = self.kind
        hit = kind is not None and not self.fired and self.aim(request.method, request.path, request.body)
        retried = self._hit == (request.method, request.path) and self._after_write > 0
        if kind == "429_write" and (hit or retried):
            if hit:
                self.fired.append(f"{kind} {request.method} {request.path}")
                self._hit = (request.method, request.path)
                self._after_write = RATE_LIMITED_READS  # the client's retries of an idempotent write too
            self._after_write -= 1
            writer.write(_response(429, b'{"error":{"message":"Too many requests"}}', b"Retry-After: 0\r\n"))
            await writer.drain()
            return True
        if self._after_write > 0 and request.method == "GET" and kind in ("500_readback", "429_readback"):
            self._after_write -= 1
            if kind == "500_readback":
                writer.write(_response(500, b'{"error":{"message":"Internal error"}}'))
            else:
                writer.write(_response(429, b'{"error":{"message":"Too many requests"}}', b"Retry-After: 0\r\n"))
            await writer.drain()
            return True
        head, body = await _exchange(upstream, request)
        if self._after_write > 0 and request.method == "GET" and kind == "bad_json_readback":
            self._after_write = 0
            writer.write(_response(200, body[: max(1, len(body) // 2)]))
            await writer.drain()
            return True
        if not hit:
            writer.write(head + body)
            await writer.drain()
            return True
        assert kind is not None
        self.fired.append(f"{kind} {request.method} {request.path}")
        if kind in ("500_readback", "429_readback"):
            self._after_write = RATE_LIMITED_READS if kind == "429_readback" else 1
        elif kind == "bad_json_readback":
            self._after_write = 1
        if kind in ("500_readback", "bad_json_readback", "429_readback"):
            writer.write(head + body)
            await writer.drain()
            return True
        if kind == "kill":
            assert self.kill_pid is not None
            os.kill(self.kill_pid, signal.SIGKILL)
            return False
        if kind == "timeout":
            with contextlib.suppress(Exception):
                await reader.read()  # hold the answer until the client gives up and closes
            return False
        if kind == "reset":
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        writer.write(head + body[: len(body) // 2])  # truncated: half the promised body, then the end
        await writer.drain()
        return False


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None


def _length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    head = await _read_head(reader)
    if head is None:
        return None
    method, path, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
    body = await reader.readexactly(_length(head))
    return Request(method, path.split("?", 1)[0], head, body)


async def _exchange(
    upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: Request
) -> tuple[bytes, bytes]:
    up_reader, up_writer = upstream
    up_writer.write(request.head + request.body)
    await up_writer.drain()
    head = await _read_head(up_reader)
    if head is None:
        raise ConnectionError("the fake closed the connection")
    return head, await up_reader.readexactly(_length(head))


def _response(status: int, body: bytes, extra: bytes = b"") -> bytes:
    reason = {200: b"OK", 429: b"Too Many Requests", 500: b"Internal Server Error"}[status]
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n"
        % (status, reason, len(body), extra)
        + body
    )
