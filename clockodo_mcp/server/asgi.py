"""Small ASGI helpers shared by our middleware."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import Message


def json_error(status: int, error: str, message: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> list[Message]:
    """The two ASGI messages of a JSON error response `{"error": …, "message": …}`."""
    body = json.dumps({"error": error, "message": message}).encode()
    all_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    return [
        {"type": "http.response.start", "status": status, "headers": all_headers},
        {"type": "http.response.body", "body": body},
    ]
