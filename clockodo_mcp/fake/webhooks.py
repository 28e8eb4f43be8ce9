"""Clockodo's webhooks, sent by the fake (API.md §17): one POST per event to each subscription that wants it.

Real Clockodo configures subscriptions in its web UI only, so here they are given to `create_app` (or to
`clockodo-mcp fake-server --webhook URL`). A delivery is Clockodo's body, ids only:

    {"subscription_id": 1, "company_id": 1, "occurred_at": "2026-11-24T15:00:00Z", "event_name": "entry.updated",
     "token": "<the subscription's token>", "payload": {"entry": {"id": 5581}}}

Events come from what a request changed: entries from the store itself (so a billing run over many entries sends
one `entry.updated` each, and a timer gives `entry.started` and `entry.stopped`), master data and absences from the
route a successful request took. The fake delivers every event of a request before it answers that request, so a
test sees the receiver's effects as soon as its write returns; each delivery and its answer are kept in
`Webhooks.deliveries`. Clockodo documents no retries and no ordering guarantee; the fake retries nothing.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Master data and absences: the route's resource → the event prefix (the payload's entity key).
_ENTITIES = {
    "customers": "customer",
    "projects": "project",
    "subprojects": "subproject",
    "services": "service",
    "lumpSumServices": "lump_sum_service",
    "users": "user",
    "teams": "team",
    "absences": "absence",
}
_ROUTE = re.compile(r"^/api/v\d+/(?P<resource>[A-Za-z]+)(?:/(?P<id>\d+))?(?:/(?P<action>complete|setBilled))?/?$")
_ACTIONS = {"POST": "created", "PUT": "updated", "DELETE": "deleted"}
_DELIVERY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Subscription:
    """Where Clockodo sends which events: `events` are names or patterns (`entry.*`), `token` is echoed back."""

    id: int
    url: str
    token: str
    events: tuple[str, ...] = ("*",)

    def wants(self, event_name: str) -> bool:
        return any(fnmatch.fnmatchcase(event_name, pattern) for pattern in self.events)


@dataclass(frozen=True)
class Delivery:
    """One POST the fake made, and how the receiver answered (`status` None: no answer)."""

    subscription_id: int
    body: dict[str, Any]
    status: int | None
    error: str | None = None


@dataclass
class Webhooks:
    """The subscriptions of a fake company and every delivery made to them."""

    subscriptions: list[Subscription]
    transport: httpx.AsyncBaseTransport | None = None  # for in-process receivers; None: real HTTP
    deliveries: list[Delivery] = field(default_factory=list)

    async def send(self, events: list[tuple[str, int]], *, company_id: int, now: datetime) -> None:
        """POST each event to every subscription that wants it, in order; an unreachable receiver is recorded."""
        wanted = [(s, name, id_) for name, id_ in events for s in self.subscriptions if s.wants(name)]
        if not wanted:
            return
        occurred = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        async with httpx.AsyncClient(transport=self.transport, timeout=_DELIVERY_TIMEOUT) as client:
            for subscription, name, id_ in wanted:
                body = {
                    "subscription_id": subscription.id,
                    "company_id": company_id,
                    "occurred_at": occurred,
                    "event_name": name,
                    "token": subscription.token,
                    "payload": {name.split(".", 1)[0]: {"id": id_}},
                }
                try:
                    response = await client.post(subscription.url, json=body)
                except httpx.HTTPError as error:
                    self.deliveries.append(Delivery(subscription.id, body, None, f"{type(error).__name__}: {error}"))
                else:
                    self.deliveries.append(Delivery(subscription.id, body, response.status_code))


def route_events(method: str, path: str, body: bytes, request_body: bytes) -> list[tuple[str, int]]:
    """The master-data and absence events of a successful request, from its route and its answer."""
    match = _ROUTE.match(path)
    if match is None or match["resource"] not in _ENTITIES or method not in _ACTIONS:
        return []
    entity = _ENTITIES[match["resource"]]
    data = _json(body).get("data")
    answered = data.get("id") if isinstance(data, dict) else None
    id_ = int(match["id"]) if match["id"] else answered
    if not isinstance(id_, int):
        return []
    if match["action"] is not None:  # setBilled changes the project; complete may complete it
        completed = isinstance(data, dict) and data.get("completed") is True
        return [(f"{entity}.updated", id_)] + ([(f"{entity}.completed", id_)] if completed else [])
    events = [(f"{entity}.{_ACTIONS[method]}", id_)]
    approved = entity == "absence" and method == "PUT" and isinstance(data, dict) and data.get("status") == 1
    if approved and _json(request_body).get("status") == 1:
        events.append(("absence.approved", id_))
    return events


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class WebhookMiddleware:
    """Sends the webhooks of every successful write before its response goes out (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        webhooks: Webhooks,
        drain_entry_events: Callable[[], list[tuple[str, int]]],
        company_id: Callable[[], int],
        now: Callable[[], datetime],
    ) -> None:
        self.app = app
        self.webhooks = webhooks
        self.drain_entry_events = drain_entry_events
        self.company_id = company_id
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _ACTIONS:
            await self.app(scope, receive, send)
            return
        request_body = bytearray()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, receive_and_keep, hold)
        finally:
            entry_events = self.drain_entry_events()
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        if start is not None and 200 <= start["status"] < 300:
            body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
            events = entry_events + route_events(scope["method"], scope["path"], body, bytes(request_body))
            await self.webhooks.send(events, company_id=self.company_id(), now=self.now())
        for message in held:
            await send(message)
