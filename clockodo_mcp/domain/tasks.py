"""Running independent Clockodo requests concurrently."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import anyio


async def gather(*calls: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run calls concurrently; a failure is raised as itself, not wrapped in an ExceptionGroup (errors.py maps it)."""
    try:
        async with anyio.create_task_group() as group:
            for call in calls:
                group.start_soon(call)
    except BaseExceptionGroup as failures:
        first = _first_leaf(failures)
        if isinstance(first, Exception):
            raise first from None
        raise


def _first_leaf(failures: BaseExceptionGroup[BaseException]) -> BaseException:
    error = failures.exceptions[0]
    return _first_leaf(error) if isinstance(error, BaseExceptionGroup) else error
