"""A client-side sliding-window limiter that keeps under Clockodo's published request limits."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .errors import ClockodoArgumentError

# Clockodo's default limits per authenticated user (API.md §2.4): requests per window in seconds.
CLOCKODO_LIMITS: tuple[tuple[int, float], ...] = ((900, 60.0), (2_250, 900.0), (4_500, 3_600.0), (20_000, 86_400.0))


@dataclass(frozen=True)
class RateLimitPolicy:
    """Sliding windows of (max requests, window seconds); `enabled=False` switches the limiter off."""

    limits: tuple[tuple[int, float], ...] = field(default=CLOCKODO_LIMITS)
    enabled: bool = True

    def __post_init__(self) -> None:
        for count, window in self.limits:
            if count < 1 or window <= 0:
                raise ClockodoArgumentError("rate_limit.limits", f"invalid window ({count}, {window})")

    @classmethod
    def disabled(cls) -> RateLimitPolicy:
        """No client-side limiting (Clockodo's 429s are still handled by the retry policy)."""
        return cls(enabled=False)


class RateLimiter:
    """Waits before a request when sending it now would exceed a window's budget."""

    def __init__(
        self,
        policy: RateLimitPolicy,
        *,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._policy = policy
        self._monotonic = monotonic
        self._sleep = sleep
        self._sent: list[deque[float]] = [deque(maxlen=count) for count, _ in policy.limits]
        self._lock = asyncio.Lock()

    def wait_time(self) -> float:
        """Seconds until one more request fits in every window (0 when it fits now)."""
        if not self._policy.enabled:
            return 0.0
        now = self._monotonic()
        wait = 0.0
        for (count, window), sent in zip(self._policy.limits, self._sent, strict=True):
            if len(sent) >= count:
                wait = max(wait, sent[0] + window - now)
        return wait

    async def acquire(self) -> None:
        """Wait until a request may be sent, then record it."""
        if not self._policy.enabled:
            return
        async with self._lock:
            while (wait := self.wait_time()) > 0:
                await self._sleep(wait)
            now = self._monotonic()
            for sent in self._sent:
                sent.append(now)
