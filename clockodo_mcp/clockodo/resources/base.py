"""Shared plumbing for resources: the requester protocol and response parsing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ClockodoArgumentError, ClockodoUnexpectedResponseError
from ..models.base import Page, Paging

M = TypeVar("M", bound=BaseModel)


class Requester(Protocol):
    """What a resource needs from the client."""

    page_concurrency: int

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json_body: object = None,
        retry: bool | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON body."""
        ...


class Resource:
    """A group of endpoints bound to a client."""

    def __init__(self, client: Requester) -> None:
        self._client = client


def unexpected(where: str, problem: str) -> ClockodoUnexpectedResponseError:
    """An error for a 2xx response whose body does not have the documented shape."""
    return ClockodoUnexpectedResponseError(
        f"Unexpected response from {where}: {problem}. {ClockodoUnexpectedResponseError.hint}"
    )


def field(body: object, key: str, where: str) -> Any:
    """The value under `key` in a JSON object body."""
    if not isinstance(body, dict) or key not in body:
        shape = sorted(body) if isinstance(body, dict) else type(body).__name__
        raise unexpected(where, f"expected a JSON object with '{key}', got {shape}")
    return body[key]


def parse(model: type[M], data: object, where: str) -> M:
    """Validate `data` as `model`, turning a mismatch into ClockodoUnexpectedResponseError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise unexpected(where, f"{model.__name__} did not validate: {exc}") from exc


def parse_list(model: type[M], data: object, where: str) -> list[M]:
    """Validate a JSON array of `model`."""
    if not isinstance(data, list):
        raise unexpected(where, f"expected a list of {model.__name__}, got {type(data).__name__}")
    return [parse(model, item, where) for item in data]


def parse_page(model: type[M], body: object, key: str, where: str) -> Page[M]:
    """Validate a paged list response (`{paging, <key>: [...]}`)."""
    items = parse_list(model, field(body, key, where), where)
    paging = parse(Paging, field(body, "paging", where), where)
    return Page[M](items=items, paging=paging)


def check_page_args(page: int, items_per_page: int | None, maximum: int) -> None:
    """Refuse page numbers below 1 and page sizes outside 1..maximum."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ClockodoArgumentError("page", f"must be an integer ≥ 1, got {page!r}")
    if items_per_page is not None and (
        isinstance(items_per_page, bool) or not isinstance(items_per_page, int) or not 1 <= items_per_page <= maximum
    ):
        raise ClockodoArgumentError("items_per_page", f"must be between 1 and {maximum}, got {items_per_page!r}")


def body_of(data: Mapping[str, object] | BaseModel | None, fields: Mapping[str, object]) -> dict[str, object]:
    """Merge an optional mapping or model with keyword fields into one request body."""
    body: dict[str, object] = {}
    if isinstance(data, BaseModel):
        body.update(data.model_dump(mode="json", exclude_unset=True))
    elif data is not None:
        body.update(data)
    body.update(fields)
    return body
