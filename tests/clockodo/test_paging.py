"""Paging: page 1 first, then the rest with bounded concurrency, in page order, cancelled on early exit."""

from __future__ import annotations

import asyncio

import pytest

from clockodo_mcp.clockodo import ClockodoArgumentError, Page, Paging
from clockodo_mcp.clockodo.paging import iterate_pages


class PagedSource:
    """Pages of two items; records how many fetches run at once. Later pages finish first."""

    def __init__(self, count_pages: int, block_from: int | None = None) -> None:
        self.count_pages = count_pages
        self.block_from = block_from
        self.never = asyncio.Event()
        self.in_flight = 0
        self.max_in_flight = 0
        self.fetched: list[int] = []
        self.cancelled: list[int] = []

    async def fetch(self, number: int) -> Page[int]:
        self.fetched.append(number)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            # Yield to the loop a page-dependent number of times so completion order differs from page order.
            for _ in range(self.count_pages - number + 1):
                await asyncio.sleep(0)
            if self.block_from is not None and number >= self.block_from:
                await self.never.wait()
        except asyncio.CancelledError:
            self.cancelled.append(number)
            raise
        finally:
            self.in_flight -= 1
        paging = Paging(items_per_page=2, current_page=number, count_pages=self.count_pages, count_items=0)
        return Page[int](items=[number * 10, number * 10 + 1], paging=paging)


async def test_all_items_arrive_in_page_order() -> None:
    source = PagedSource(count_pages=9)
    items = [item async for item in iterate_pages(source.fetch, concurrency=4)]
    assert items == [n * 10 + i for n in range(1, 10) for i in (0, 1)]
    assert source.fetched[0] == 1


async def test_concurrency_is_bounded() -> None:
    source = PagedSource(count_pages=12)
    _ = [item async for item in iterate_pages(source.fetch, concurrency=3)]
    assert source.max_in_flight == 3
    source = PagedSource(count_pages=12)
    _ = [item async for item in iterate_pages(source.fetch, concurrency=1)]
    assert source.max_in_flight == 1


async def test_a_single_page_fetches_once() -> None:
    source = PagedSource(count_pages=1)
    assert [item async for item in iterate_pages(source.fetch)] == [10, 11]
    assert source.fetched == [1]


async def test_stopping_early_cancels_pending_pages() -> None:
    source = PagedSource(count_pages=10, block_from=3)
    iterator = iterate_pages(source.fetch, concurrency=4)
    seen = []
    async for item in iterator:
        seen.append(item)
        if item == 20:
            break
    await iterator.aclose()  # type: ignore[attr-defined]
    assert seen == [10, 11, 20]
    assert source.in_flight == 0
    assert sorted(source.cancelled) == [3, 4, 5]  # in flight when the consumer stopped
    assert max(source.fetched) == 5


async def test_a_failing_page_propagates_and_cancels_the_rest() -> None:
    source = PagedSource(count_pages=6)

    async def fetch(number: int) -> Page[int]:
        if number == 2:
            raise RuntimeError("page 2 failed")
        return await source.fetch(number)

    with pytest.raises(RuntimeError, match="page 2 failed"):
        _ = [item async for item in iterate_pages(fetch, concurrency=3)]
    assert source.in_flight == 0


async def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ClockodoArgumentError, match="page_concurrency"):
        _ = [item async for item in iterate_pages(PagedSource(1).fetch, concurrency=0)]
