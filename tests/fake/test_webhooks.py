"""The fake sends Clockodo's webhooks: one POST per event, ids only, before it answers the write that caused it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.auth import OWNER_EMAIL, OWNER_KEY
from clockodo_mcp.fake.server import BackgroundFakeServer
from clockodo_mcp.fake.webhooks import Subscription, Webhooks
from tests.server.live import serving

from .conftest import ACME, DESIGN, DEVELOPMENT, NOW, WEBSITE, WORKER, headers, make_dataset
from .test_entrygroups import MARK_BILLED


class Receiver:
    """A webhook endpoint that keeps what it got and answers with `status`."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = status
        self.app = Starlette(routes=[Route("/hooks", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.received.append(await request.json())
        return JSONResponse({"ok": True}, status_code=self.status)

    def events(self) -> list[tuple[str, Any]]:
        return [(r["event_name"], r["payload"]) for r in self.received]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


def fake_with(receiver: Receiver, *subscriptions: Subscription) -> Starlette:
    webhooks = Webhooks(list(subscriptions), transport=httpx.ASGITransport(app=receiver.app))
    return create_app(make_dataset(), now=lambda: NOW, webhooks=webhooks)


@pytest.fixture
async def owner_of(receiver: Receiver) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    def make(*subscriptions: Subscription) -> httpx.AsyncClient:
        app = fake_with(receiver, *subscriptions)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://fake/api",
            headers=headers(OWNER_EMAIL, OWNER_KEY),
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


EVERYTHING = Subscription(1, "http://receiver/hooks", "s3cret")
NEW_ENTRY = {
    "customers_id": ACME,
    "projects_id": WEBSITE,
    "services_id": DESIGN,
    "users_id": WORKER,
    "billable": 1,
    "time_since": "2026-11-20T09:00:00Z",
    "time_until": "2026-11-20T10:30:00Z",
}


async def test_a_new_entry_is_announced_with_clockodos_body_before_the_write_answers(owner_of, receiver):
    owner = owner_of(EVERYTHING)
    created = (await owner.post("/v2/entries", json=NEW_ENTRY)).json()["entry"]
    assert receiver.received == [
        {
            "subscription_id": 1,
            "company_id": receiver.received[0]["company_id"],
            "occurred_at": "2026-11-24T12:00:00Z",
            "event_name": "entry.created",
            "token": "s3cret",
            "payload": {"entry": {"id": created["id"]}},
        }
    ]
    assert isinstance(receiver.received[0]["company_id"], int)


async def test_edits_deletes_and_a_timer_each_send_their_event(owner_of, receiver):
    owner = owner_of(EVERYTHING)
    entry_id = (await owner.post("/v2/entries", json=NEW_ENTRY)).json()["entry"]["id"]
    await owner.put(f"/v2/entries/{entry_id}", json={"text": "edited"})
    await owner.delete(f"/v2/entries/{entry_id}")
    running = (await owner.post("/v2/clock", json={"customers_id": ACME, "services_id": DEVELOPMENT})).json()
    await owner.delete(f"/v2/clock/{running['running']['id']}")
    names = [name for name, _ in receiver.events()]
    assert names[:3] == ["entry.created", "entry.updated", "entry.deleted"]
    assert names[-2:] == ["entry.started", "entry.stopped"]
    assert receiver.events()[-1][1] == {"entry": {"id": running["running"]["id"]}}


async def test_a_billing_run_over_entry_groups_announces_every_entry_it_changed(owner_of, receiver):
    owner = owner_of(EVERYTHING)
    key = (await owner.put("/v2/entrygroups", json=MARK_BILLED)).json()["confirm_key"]
    assert receiver.received == []  # the preview changes nothing
    await owner.put("/v2/entrygroups", json={**MARK_BILLED, "confirm_key": key})
    assert sorted(payload["entry"]["id"] for _, payload in receiver.events()) == [1, 2, 5, 7]
    assert {name for name, _ in receiver.events()} == {"entry.updated"}


async def test_master_data_and_absences_are_announced_by_their_own_names(owner_of, receiver):
    owner = owner_of(EVERYTHING)
    customer = (await owner.post("/v3/customers", json={"name": "New Client"})).json()["data"]
    await owner.put(f"/v3/customers/{customer['id']}", json={"name": "New Client GmbH"})
    absence = await owner.post("/v4/absences", json={"date_since": "2026-12-07", "type": 1, "users_id": WORKER})
    absence_id = absence.json()["data"]["id"]
    await owner.put(f"/v4/absences/{absence_id}", json={"status": 1})
    await owner.put(f"/v4/absences/{absence_id}", json={"status": 3})  # approval cancelled: then it may go
    deleted = await owner.delete(f"/v4/absences/{absence_id}")
    assert deleted.status_code == 200, deleted.text
    assert receiver.events() == [
        ("customer.created", {"customer": {"id": customer["id"]}}),
        ("customer.updated", {"customer": {"id": customer["id"]}}),
        ("absence.created", {"absence": {"id": absence_id}}),
        ("absence.updated", {"absence": {"id": absence_id}}),
        ("absence.approved", {"absence": {"id": absence_id}}),
        ("absence.updated", {"absence": {"id": absence_id}}),
        ("absence.deleted", {"absence": {"id": absence_id}}),
    ]


async def test_a_subscription_gets_only_the_events_it_asked_for(owner_of, receiver):
    owner = owner_of(Subscription(7, "http://receiver/hooks", "t", ("customer.*", "absence.deleted")))
    await owner.post("/v2/entries", json=NEW_ENTRY)
    await owner.post("/v3/customers", json={"name": "Only This"})
    assert [(r["subscription_id"], r["event_name"]) for r in receiver.received] == [(7, "customer.created")]


async def test_a_refused_write_and_every_read_send_nothing(owner_of, receiver):
    owner = owner_of(EVERYTHING)
    assert (await owner.post("/v2/entries", json={**NEW_ENTRY, "services_id": 999_999})).status_code >= 400
    await owner.get("/v2/entries", params={"time_since": "2026-11-01T00:00:00Z", "time_until": "2026-12-01T00:00:00Z"})
    assert receiver.received == []


async def test_a_receiver_that_refuses_is_recorded_and_the_write_still_stands(owner_of):
    refusing = Receiver(status=500)
    app = fake_with(refusing, EVERYTHING)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fake/api", headers=headers(OWNER_EMAIL, OWNER_KEY)
    ) as owner:
        response = await owner.post("/v2/entries", json=NEW_ENTRY)
    assert response.status_code == 200
    (delivery,) = app.state.webhooks.deliveries
    assert (delivery.status, delivery.body["event_name"]) == (500, "entry.created")


def test_webhooks_travel_over_real_http_between_two_servers():
    receiver = Receiver()
    with serving(receiver.app) as receiver_url:
        webhooks = Webhooks([Subscription(1, f"{receiver_url}/hooks", "tok", ("entry.*",))])
        with BackgroundFakeServer(make_dataset(), now=lambda: NOW, webhooks=webhooks) as fake:
            response = httpx.post(
                f"{fake.base_url}/v2/entries", json=NEW_ENTRY, headers=headers(OWNER_EMAIL, OWNER_KEY)
            )
            assert response.status_code == 200, response.text
    assert receiver.events() == [("entry.created", {"entry": {"id": response.json()["entry"]["id"]}})]
    assert webhooks.deliveries[0].status == 200


def test_an_unreachable_receiver_is_recorded_with_its_error():
    webhooks = Webhooks([Subscription(1, "http://127.0.0.1:9/hooks", "tok")])  # port 9: nothing listens
    with BackgroundFakeServer(make_dataset(), now=lambda: NOW, webhooks=webhooks) as fake:
        response = httpx.post(f"{fake.base_url}/v2/entries", json=NEW_ENTRY, headers=headers(OWNER_EMAIL, OWNER_KEY))
    assert response.status_code == 200
    assert webhooks.deliveries[0].status is None
    assert "ConnectError" in (webhooks.deliveries[0].error or "")
