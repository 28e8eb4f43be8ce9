"""Clockodo's page/items_per_page paging with per-endpoint caps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from clockodo_mcp.fake.params import Params

T = TypeVar("T")


def page_request(query: Params, max_items_per_page: int) -> tuple[int, int]:
    """Read `page` (≥ 1) and `items_per_page` (1..cap, default the cap) from the query."""
    page = query.integer("page", minimum=1) or 1
    per_page = query.integer("items_per_page", minimum=1, maximum=max_items_per_page) or max_items_per_page
    return page, per_page


def paginate(items: Sequence[T], page: int, per_page: int) -> tuple[Sequence[T], dict[str, Any]]:
    """One page of `items` and the `paging` object; a page past the end is empty, not an error."""
    count = len(items)
    count_pages = max(1, -(-count // per_page))
    start = (page - 1) * per_page
    paging = {"items_per_page": per_page, "current_page": page, "count_pages": count_pages, "count_items": count}
    return items[start : start + per_page], paging
