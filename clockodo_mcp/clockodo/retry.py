"""When and how long to wait before retrying an idempotent request."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import ClockodoArgumentError

RETRYABLE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for idempotent requests: exponential backoff with jitter, capped in attempts and total time.

    `jitter` is the fraction of each backoff that is randomised (0 = deterministic). A `Retry-After`
    from Clockodo is honoured as given; if it exceeds `max_delay` the request is not retried.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total_time: float = 60.0
    jitter: float = 0.5
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 502, 503, 504}))
    retry_transport_errors: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ClockodoArgumentError("retry.max_attempts", "must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total_time < 0:
            raise ClockodoArgumentError("retry", "delays and max_total_time must not be negative")
        if not 0 <= self.jitter <= 1:
            raise ClockodoArgumentError("retry.jitter", "must be between 0 and 1")

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay after failed attempt number `attempt` (1-based), without a Retry-After."""
        delay: float = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        if self.jitter:
            delay *= 1 - self.jitter * rng.random()
        return delay

    def delay_for(self, attempt: int, retry_after: float | None, rng: random.Random) -> float | None:
        """The delay before the next attempt, or None when no further attempt is allowed."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        return self.backoff(attempt, rng)
