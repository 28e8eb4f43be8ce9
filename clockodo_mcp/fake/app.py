"""The fake Clockodo as a Starlette app: every route under `/api`, optional fault injection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount

from clockodo_mcp.clock import SYSTEM_CLOCK
from clockodo_mcp.fake.dataset import Dataset
from clockodo_mcp.fake.faults import FaultConfig, FaultMiddleware
from clockodo_mcp.fake.routes import absences, clock, entries, entrygroups, masterdata, rates, reports
from clockodo_mcp.fake.store import Store
from clockodo_mcp.fake.webhooks import WebhookMiddleware, Webhooks


def api_routes() -> list[BaseRoute]:
    """Every fake Clockodo route, relative to the `/api` base."""
    return [
        *entries.routes(),
        *entrygroups.routes(),
        *clock.routes(),
        *masterdata.routes(),
        *absences.routes(),
        *rates.routes(),
        *reports.routes(),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {404: "This endpoint does not exist.", 405: "This endpoint cannot be used with this method."}.get(
        status, "Request failed."
    )
    type_ = {404: "NotFound", 405: "MethodNotAllowed"}.get(status, "General")
    body = {"errors": [{"type": type_, "message": message, "details": None, "path": None}]}
    return JSONResponse(body, status_code=status)


def create_app(
    dataset: Dataset | None = None,
    *,
    faults: FaultConfig | None = None,
    now: Callable[[], datetime] | None = None,
    webhooks: Webhooks | None = None,
) -> Starlette:
    """A fake Clockodo serving `dataset` (the demo company when None) at `/api`; `now` freezes its clock; `webhooks`
    are sent for every successful write (fake/webhooks.py)."""
    if dataset is None:
        # Imported here: the demo seed is optional for callers that bring their own dataset.
        from clockodo_mcp.fake.demo import seed

        dataset = seed()
    clock = now or SYSTEM_CLOCK.now

    def current_time() -> datetime:
        return clock().astimezone(UTC).replace(microsecond=0)

    store = Store(dataset, current_time)
    middleware = [Middleware(FaultMiddleware, config=faults)] if faults is not None else []
    if webhooks is not None:  # inside the faults: a write applied whose answer a fault then loses still tells
        store.entry_events = []
        middleware.append(
            Middleware(
                WebhookMiddleware,
                webhooks=webhooks,
                drain_entry_events=store.drain_entry_events,
                company_id=lambda: int(store.company.get("id") or 0),
                now=current_time,
            )
        )
    app = Starlette(
        routes=[Mount("/api", routes=api_routes())],
        middleware=middleware,
        exception_handlers={404: _http_error, 405: _http_error},
    )
    app.state.store = store
    app.state.faults = faults
    app.state.webhooks = webhooks
    return app
