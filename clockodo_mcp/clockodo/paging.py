"""Stream every item of a paged Clockodo list: page 1 first, then the rest with bounded concurrency."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from .errors import ClockodoArgumentError
from .models.base import Page

T = TypeVar("T")


async def iterate_pages(
    fetch: Callable[[int], Awaitable[Page[T]]],
    *,
    concurrency: int = 4,
) -> AsyncIterator[T]:
    """Yield the items of all pages in page order, keeping at most `concurrency` page requests in flight.

    Only pages that are in flight or not yet yielded are held in memory, so callers that aggregate
    stream through large lists in bounded memory.
    """
    if concurrency < 1:
        raise ClockodoArgumentError("page_concurrency", "must be at least 1")
    first = await fetch(1)
    for item in first.items:
        yield item
    count_pages = first.paging.count_pages
    if count_pages <= 1:
        return
    pending: deque[asyncio.Task[Page[T]]] = deque()
    next_page = 2
    try:
        while next_page <= count_pages or pending:
            while next_page <= count_pages and len(pending) < concurrency:
                pending.append(asyncio.ensure_future(fetch(next_page)))
                next_page += 1
            page = await pending.popleft()
            for item in page.items:
                yield item
    finally:
        # The consumer stopped early or a page failed: don't leave requests running.
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
