"""The request pipeline every fake route shares: auth, parameter parsing, error bodies, never a traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clockodo_mcp.fake.auth import Caller, authenticate
from clockodo_mcp.fake.errors import ApiError, Family, bad_request, error_body
from clockodo_mcp.fake.params import Params, parse_query
from clockodo_mcp.fake.rendered import encode_json
from clockodo_mcp.fake.store import Store

JSON = dict[str, Any]
logger = logging.getLogger("clockodo_mcp.fake")


@dataclass(slots=True)
class Ctx:
    """One authenticated request: the store, the caller and its parameters."""

    store: Store
    caller: Caller
    query: Params
    body: Params
    path: dict[str, Any]
    method: str

    @property
    def now(self) -> datetime:
        """The injected clock's current UTC time."""
        return self.store.now()

    def merged(self) -> Params:
        """Query and body together (clients send DELETE parameters either way)."""
        return Params({**self.query.data, **self.body.data}, typed=self.body.typed)

    def path_id(self, name: str = "id") -> int:
        """An integer path parameter."""
        return int(self.path[name])


Handler = Callable[[Ctx], JSON | Response]


def json_bytes_response(head: JSON, name: str, items: list[bytes]) -> Response:
    """`head` plus `name`: the list of already encoded `items`, with the bytes JSONResponse would send."""
    opening = encode_json(head)
    body = b"".join((opening[:-1], b"," if head else b"", encode_json(name), b":[", b",".join(items), b"]}"))
    return Response(body, media_type="application/json")


def api_route(path: str, handler: Handler, methods: list[str], family: Family, *, typed_body: bool = False) -> Route:
    """A Starlette route running `handler` with auth and Clockodo's error bodies for `family`."""

    async def endpoint(request: Request) -> Response:
        store: Store = request.app.state.store
        try:
            caller = authenticate(request.headers, store.users_by_email, store.api_keys)
            query = Params(parse_query(request.query_params.multi_items()))
            body = Params(await _read_body(request), typed=typed_body)
            ctx = Ctx(store, caller, query, body, dict(request.path_params), request.method)
            result = handler(ctx)
            return result if isinstance(result, Response) else JSONResponse(result)
        except ApiError as err:
            return JSONResponse(error_body(err, family), status_code=err.status, headers=err.headers or None)
        except Exception:
            # Bad input must never surface as a traceback; log it for the developer, answer like Clockodo.
            logger.exception("fake Clockodo: unhandled error on %s %s", request.method, request.url.path)
            failure = {"type": "General", "message": "Internal server error.", "details": None, "path": None}
            return JSONResponse({"errors": [failure]}, status_code=500)

    return Route(path, endpoint, methods=methods)


async def _read_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            return parse_query(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise bad_request("The request body is not valid UTF-8.") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.")
    return data
