"""The HTTP server's Clockodo webhook receiver: POSTs at one path, applied to the mirror at once.

It sits in front of the MCP app and its bearer check, because Clockodo cannot send a bearer token: a delivery is
authenticated by the token inside its body (the one entered in Clockodo's webhook settings), compared in constant
time. Answers are JSON: 200 when applied, ignored or a URL validation; 400 malformed, 401 wrong token, 405 not a POST,
413 too large; 503 when the mirror or Clockodo cannot be reached (with Retry-After: the next sync repairs it either
way). Every delivery, refused or applied, is one audit record (kind "webhook"), never with its token.

Clockodo checks a new webhook URL by POSTing `{"secret": "<uuid>"}`, which the user types into its web UI: the
receiver answers 200 and logs the secret (a warning on stderr, and the audit record).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clockodo_mcp.audit.log import AuditWriteError
from clockodo_mcp.clockodo.errors import ClockodoError
from clockodo_mcp.server.asgi import json_error
from clockodo_mcp.server.config import ConfigError
from clockodo_mcp.sync.reader import mirror_lock
from clockodo_mcp.sync.targets import TargetError, open_target, parse_target_url
from clockodo_mcp.sync.webhooks import (
    MAX_BODY_BYTES,
    Applied,
    Fetched,
    UrlValidation,
    WebhookEvent,
    WebhookRejected,
    check_token,
    fetch_record,
    parse_delivery,
    write_record,
)

if TYPE_CHECKING:
    from clockodo_mcp.server.runtime import Runtime

RETRY_AFTER_SECONDS = 60
_MCP_PATHS = ("/mcp", "/sse", "/messages")
logger = logging.getLogger("clockodo_mcp.webhooks")


def webhook_receiver(runtime: Runtime, transport: str) -> Callable[[ASGIApp], ASGIApp] | None:
    """Wraps the HTTP app in a `WebhookReceiver` when CLOCKODO_MCP_WEBHOOK_TOKEN is set; a ConfigError names the fix
    for a setting that cannot work (checked before the server starts)."""
    config = runtime.config
    if not config.webhook_token:
        return None
    if transport == "stdio":
        raise ConfigError(
            "CLOCKODO_MCP_WEBHOOK_TOKEN is set, but Clockodo's webhooks arrive over HTTP: start the server with "
            "--transport http, or unset the token."
        )
    if not config.mirror_url:
        raise ConfigError(
            "CLOCKODO_MCP_WEBHOOK_TOKEN is set, but webhooks update the mirror and none is configured: set "
            "CLOCKODO_MCP_MIRROR to the target `clockodo-mcp sync --to` writes (e.g. duckdb:///…/mirror.duckdb)."
        )
    path = config.webhook_path.strip()
    if not path.startswith("/") or path.rstrip("/") in ("", *_MCP_PATHS) or any(c in path for c in " ?#"):
        raise ConfigError(
            f"CLOCKODO_MCP_WEBHOOK_PATH={path!r}: use a path of its own that starts with '/', e.g. /webhooks/clockodo "
            "(not /, /mcp, /sse or /messages)."
        )
    try:
        token = check_token(config.webhook_token)
        parse_target_url(config.mirror_url)
    except (ValueError, TargetError) as error:
        raise ConfigError(str(error)) from None
    mirror = config.mirror_url

    def wrap(app: ASGIApp) -> ASGIApp:
        return WebhookReceiver(app, runtime, path=path, token=token, mirror_url=mirror)

    return wrap


def _json(status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None) -> list[Message]:
    data = json.dumps(body).encode()
    all_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    return [
        {"type": "http.response.start", "status": status, "headers": all_headers + (headers or [])},
        {"type": "http.response.body", "body": data},
    ]


class WebhookReceiver:
    """ASGI middleware: POSTs to `path` are Clockodo webhooks for the mirror at `mirror_url`; the rest goes on."""

    def __init__(self, app: ASGIApp, runtime: Runtime, *, path: str, token: str, mirror_url: str) -> None:
        self.app = app
        self.runtime = runtime
        self.path = path.rstrip("/") or "/"
        self.token = token
        self.mirror_url = mirror_url
        self.location = parse_target_url(mirror_url).describe()
        self._lock = anyio.Lock()  # one event at a time: a slow fetch never overwrites a newer one
        self._state: dict[str, str] | None = None
        runtime.audit.add_secret(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope.get("path", "").rstrip("/") or "/") != self.path:
            await self.app(scope, receive, send)
            return
        for message in await self.handle(scope, receive):
            await send(message)

    async def handle(self, scope: Scope, receive: Receive) -> list[Message]:
        """The answer to one request at the webhook path."""
        if scope.get("method") != "POST":
            await self._audit({"status": "rejected", "error": "method_not_allowed", "method": scope.get("method")})
            allow = [(b"allow", b"POST")]
            return json_error(405, "method_not_allowed", "Clockodo webhooks are POSTed to this path.", allow)
        body = await _read_body(receive, MAX_BODY_BYTES + 1)
        try:
            delivery = parse_delivery(body, self.token)
        except WebhookRejected as rejected:
            await self._audit({"status": "rejected", "error": rejected.error, "message": str(rejected)})
            return json_error(rejected.status, rejected.error, str(rejected))
        if isinstance(delivery, UrlValidation):
            logger.warning(
                "Clockodo is checking this webhook URL: enter the secret %s in Clockodo's webhook settings.",
                delivery.secret,
            )
            await self._audit({"status": "ok", "outcome": "url_validation", "secret": delivery.secret})
            return _json(200, {"ok": True, "outcome": "url_validation", "secret": delivery.secret})
        return await self._apply(delivery)

    async def _apply(self, event: WebhookEvent) -> list[Message]:
        described = {
            "event_name": event.event_name,
            "entity": event.entity,
            "id": event.id,
            "subscription_id": event.subscription_id,
            "occurred_at": event.occurred_at,
        }
        try:
            async with self._lock, self.runtime:
                state = self._state if self._state is not None else await anyio.to_thread.run_sync(self._read_state)
                if state is None:
                    applied = Applied("ignored", None, "no sync has run yet: the first sync takes everything")
                else:
                    fetched = await fetch_record(self.runtime.client, event, state)
                    applied = await anyio.to_thread.run_sync(self._write, event, fetched)
        except (TargetError, ClockodoError) as error:
            message = (
                f"Could not apply {event.event_name} {event.id} to the mirror at {self.location}: {error} The next "
                "`clockodo-mcp sync` brings the mirror up to date; Clockodo may deliver again."
            )
            await self._audit({**described, "status": "error", "error": type(error).__name__, "message": message})
            retry = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
            return json_error(503, "mirror_unavailable", message, retry)
        await self._audit({**described, "status": "ok", "outcome": applied.outcome, "table": applied.table})
        return _json(200, {"ok": True, "outcome": applied.outcome, "table": applied.table, "reason": applied.reason})

    def _read_state(self) -> dict[str, str] | None:
        """The mirror's sync state, or None when no sync has written one (nothing to apply to yet)."""
        with mirror_lock(self.location):
            parsed = parse_target_url(self.mirror_url)
            if parsed.path is not None:
                marker = parsed.path if parsed.scheme == "duckdb" else parsed.path / "sync_state.parquet"
                if not marker.is_file():
                    return None
            target = open_target(self.mirror_url)
            target.open()
            try:
                state = target.read_state()
            finally:
                target.close()
        if not state.get("since"):
            return None
        self._state = state
        return state

    def _write(self, event: WebhookEvent, fetched: Fetched | None) -> Applied:
        with mirror_lock(self.location):
            target = open_target(self.mirror_url)
            target.open()
            try:
                applied = write_record(target, event, fetched, self.runtime.now())
                self._state = target.read_state()
            finally:
                target.close()
        return applied

    async def _audit(self, event: dict[str, Any]) -> None:
        record = {"kind": "webhook", **event}
        try:
            await anyio.to_thread.run_sync(self.runtime.audit.append, record)
        except AuditWriteError as error:
            logger.error("The audit log could not record a webhook (%s): %s", event.get("status"), error)


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The request body, read up to `limit` bytes (the rest is left unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit or not message.get("more_body", False):
            break
    return b"".join(chunks)
