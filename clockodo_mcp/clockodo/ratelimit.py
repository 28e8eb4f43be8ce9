"""A client-side sliding-window limiter that keeps under Clockodo's published request limits."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol

from .errors import ClockodoArgumentError, RateBudgetExhausted

# Clockodo's default limits per authenticated user (API.md §2.4): requests per window in seconds.
CLOCKODO_LIMITS: tuple[tuple[int, float], ...] = ((900, 60.0), (2_250, 900.0), (4_500, 3_600.0), (20_000, 86_400.0))
DEFAULT_MAX_WAIT = 3.0
DEFAULT_RESERVE = 0.1


@dataclass(frozen=True)
class RateLimitPolicy:
    """Sliding windows of (max requests, window seconds); `enabled=False` switches the limiter off.

    `max_wait` is the longest a request waits for room, here or on a 429's `Retry-After`; beyond it the
    request fails at once with `retry_after`. `reserve` is the fraction of each window that one caller
    may never take for itself, so another caller always finds room (see `RateLimiter`).
    """

    limits: tuple[tuple[int, float], ...] = field(default=CLOCKODO_LIMITS)
    enabled: bool = True
    max_wait: float = DEFAULT_MAX_WAIT
    reserve: float = DEFAULT_RESERVE

    def __post_init__(self) -> None:
        for count, window in self.limits:
            if count < 1 or window <= 0:
                raise ClockodoArgumentError("rate_limit.limits", f"invalid window ({count}, {window})")
        if self.max_wait < 0:
            raise ClockodoArgumentError("rate_limit.max_wait", "must not be negative")
        if not 0 <= self.reserve < 1:
            raise ClockodoArgumentError("rate_limit.reserve", "must be at least 0 and less than 1")

    @classmethod
    def disabled(cls) -> RateLimitPolicy:
        """No client-side limiting (Clockodo's 429s are still handled by the retry policy)."""
        return cls(enabled=False)


class SharedBudget(Protocol):
    """The rate budget of one Clockodo API user that every process of an installation shares (replicas behind a
    load balancer): counts a request and returns 0.0 when all windows have room, else the seconds until one fits."""

    async def admit(self, limits: tuple[tuple[int, float], ...]) -> float:
        """Count one request now if it fits; else count nothing and say how long until it would."""
        ...


@dataclass(frozen=True, slots=True)
class _Block:
    """Why a request cannot be sent yet: the window that is full, and for how long."""

    wait: float
    limit: int
    seconds: float
    share: bool


class _Window:
    """When the requests of the last `seconds` were sent, in total and per caller (oldest first)."""

    def __init__(self, limit: int, seconds: float, reserve: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.usable = max(1, limit - int(limit * reserve))  # what callers may share among themselves
        self.sent: deque[float] = deque()
        self.by_caller: dict[Hashable, deque[float]] = {}

    def forget_before(self, now: float) -> None:
        """Drop requests that have left the window."""
        horizon = now - self.seconds
        while self.sent and self.sent[0] <= horizon:
            self.sent.popleft()
        for caller, mine in list(self.by_caller.items()):
            while mine and mine[0] <= horizon:
                mine.popleft()
            if not mine:
                del self.by_caller[caller]

    def block(self, caller: Hashable | None, now: float) -> _Block | None:
        """How long `caller` must wait before this window admits one more of its requests (None: now)."""
        blocks: list[_Block] = []
        if len(self.sent) >= self.limit:
            blocks.append(self._until(self.sent[len(self.sent) - self.limit], now, share=False))
        if caller is not None:
            mine = self.by_caller.get(caller)
            share = max(1, self.usable // (len(self.by_caller) + (0 if mine else 1)))  # counting this caller
            if mine and len(mine) >= share:
                blocks.append(self._until(mine[len(mine) - share], now, share=True))
        return max(blocks, key=lambda b: b.wait, default=None)

    def _until(self, sent_at: float, now: float, *, share: bool) -> _Block:
        """The block until a request sent at `sent_at` leaves the window."""
        return _Block(sent_at + self.seconds - now, self.limit, self.seconds, share)

    def record(self, caller: Hashable | None, now: float) -> None:
        """Count a request sent at `now`."""
        self.sent.append(now)
        if caller is not None:
            self.by_caller.setdefault(caller, deque()).append(now)


class RateLimiter:
    """Delays a request for at most `max_wait` seconds so that every window keeps under its limit.

    If a window will not have room within `max_wait`, the request is refused at once with
    `RateBudgetExhausted` (naming the window and `retry_after`) instead of waiting silently.

    Fair shares: requests may name a caller (an MCP session). In each window the callers active in it
    share `limit × (1 − reserve)` equally: with one caller it may use 90% of each window, with two 45%
    each, and so on; the remaining `reserve` is always left for a caller that arrives next. So a session
    that hammers the server runs into its own share and is told to back off, while the others still
    find room. Requests without a caller (stdio, the CLI) only count against the totals.
    """

    def __init__(
        self,
        policy: RateLimitPolicy,
        *,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        shared: SharedBudget | None = None,
    ) -> None:
        self._policy = policy
        self._monotonic = monotonic
        self._sleep = sleep
        self._shared = shared
        self._windows = [_Window(count, seconds, policy.reserve) for count, seconds in policy.limits]

    @property
    def max_wait(self) -> float:
        """The longest a request is delayed (by this limiter or a 429's `Retry-After`) before it fails instead."""
        return self._policy.max_wait

    def _block(self, caller: Hashable | None) -> _Block | None:
        now = self._monotonic()
        blocks = []
        for window in self._windows:
            window.forget_before(now)
            blocked = window.block(caller, now)
            if blocked is not None:
                blocks.append(blocked)
        return max(blocks, key=lambda b: b.wait, default=None)

    def wait_time(self, caller: Hashable | None = None) -> float:
        """Seconds until one more request (of `caller`) fits in every window (0 when it fits now)."""
        if not self._policy.enabled:
            return 0.0
        blocked = self._block(caller)
        return blocked.wait if blocked else 0.0

    def callers(self) -> list[Hashable]:
        """The callers with requests in the longest window, busiest first."""
        if not self._windows:
            return []
        longest = max(self._windows, key=lambda w: w.seconds)
        longest.forget_before(self._monotonic())
        return sorted(longest.by_caller, key=lambda c: -len(longest.by_caller[c]))

    async def acquire(self, caller: Hashable | None = None) -> None:
        """Wait (at most `max_wait`) until a request may be sent, then record it; else raise `RateBudgetExhausted`."""
        if not self._policy.enabled:
            return
        deadline = self._monotonic() + self._policy.max_wait
        while True:
            # No lock: deciding and recording happen without an await in between, so concurrent callers that
            # slept for the same slot re-check on waking and only one of them takes it.
            while (blocked := self._block(caller)) is not None:
                if self._monotonic() + blocked.wait > deadline:
                    raise RateBudgetExhausted(
                        retry_after=blocked.wait,
                        limit=blocked.limit,
                        window_seconds=blocked.seconds,
                        share=blocked.share,
                    )
                await self._sleep(blocked.wait)
            if self._shared is None:
                break
            # The budget every replica shares is the real limit; this process's windows only keep fair shares.
            wait = await self._shared.admit(self._policy.limits)
            if wait <= 0:
                break
            if self._monotonic() + wait > deadline:
                limit, seconds = _window_for(self._policy.limits, wait)
                raise RateBudgetExhausted(retry_after=wait, limit=limit, window_seconds=seconds)
            await self._sleep(wait)
        now = self._monotonic()
        for window in self._windows:
            window.record(caller, now)


def _window_for(limits: tuple[tuple[int, float], ...], wait: float) -> tuple[int, float]:
    """The window a shared wait most likely comes from: the shortest that is at least as long as the wait."""
    fitting = [window for window in limits if window[1] >= wait]
    return min(fitting, key=lambda w: w[1]) if fitting else max(limits, key=lambda w: w[1])
