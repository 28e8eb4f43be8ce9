"""Shared test helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

T = TypeVar("T")


@asynccontextmanager
async def held_open(manager: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Enter and exit an async context manager in ONE background task.

    pytest-asyncio runs a fixture's setup and teardown in different tasks, which anyio task groups (the MCP
    client, the server lifespan) refuse; holding the manager in its own task keeps enter and exit together.
    """
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[T] = loop.create_future()
    done = asyncio.Event()

    async def hold() -> None:
        try:
            async with manager as value:
                ready.set_result(value)
                await done.wait()
        except BaseException as error:
            if not ready.done():
                ready.set_exception(error)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await ready
    finally:
        done.set()
        await task
