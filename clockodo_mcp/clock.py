"""The one place that reads the wall clock. Everything else is handed a `Clock`, so any day can be pinned."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

TODAY_ENV = "CLOCKODO_MCP_TODAY"
# A pinned calendar day starts at this local time: mid-afternoon, so the day already has logged work.
PINNED_TIME_OF_DAY = timedelta(hours=16)
DEMO_ZONE = ZoneInfo("Europe/Berlin")


class Clock(Protocol):
    """What time it is (`now`, aware UTC) and a monotonic counter for durations and caches."""

    def now(self) -> datetime:
        """The current instant, aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a counter that never goes back."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant, aware UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()


SYSTEM_CLOCK = SystemClock()


class FrozenClock:
    """A clock that moves only when told to: for tests."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._instant = instant.astimezone(UTC)
        self._counter = 0.0

    def now(self) -> datetime:
        """The frozen instant."""
        return self._instant

    def monotonic(self) -> float:
        """The counter, advanced only by `advance`."""
        return self._counter

    def advance(self, seconds: float) -> None:
        """Move both the instant and the counter forward."""
        self._instant += timedelta(seconds=seconds)
        self._counter += seconds


class PinnedClock:
    """A clock that starts at `start` and then runs at the speed of `base`: the demo on a chosen day."""

    def __init__(self, start: datetime, base: Clock = SYSTEM_CLOCK) -> None:
        if start.tzinfo is None:
            raise ValueError("PinnedClock needs an aware datetime")
        self._start = start.astimezone(UTC)
        self._base = base
        self._origin = base.monotonic()

    def now(self) -> datetime:
        """`start` plus the time that has passed since the clock was made."""
        return self._start + timedelta(seconds=self._base.monotonic() - self._origin)

    def monotonic(self) -> float:
        """The base clock's counter."""
        return self._base.monotonic()


def pinned_instant(day: date, zone: ZoneInfo = DEMO_ZONE) -> datetime:
    """The instant a pinned `day` starts at: 16:00 local time in `zone`, as aware UTC."""
    local = datetime.combine(day, datetime.min.time(), tzinfo=zone) + PINNED_TIME_OF_DAY
    return local.astimezone(UTC)


def parse_today(value: str) -> date:
    """A `--today` value (YYYY-MM-DD) as a date; ValueError with a clear message otherwise."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"--today must be a date as YYYY-MM-DD, e.g. 2026-12-01 (got {value!r})") from None
    if not 2000 <= day.year <= 2100:
        raise ValueError(f"--today must lie between 2000 and 2100 (got {value!r})")
    return day


def today_from_env(flag: str | None, environ: dict[str, str] | None = None) -> date | None:
    """The pinned day from a `--today` flag, else from CLOCKODO_MCP_TODAY, else None (the real calendar)."""
    env = os.environ if environ is None else environ
    value = flag if flag is not None else env.get(TODAY_ENV) or None
    return parse_today(value) if value is not None else None


def clock_for(today: date | None, zone: ZoneInfo = DEMO_ZONE) -> Clock:
    """The real clock, or one whose calendar starts on `today` at 16:00 in `zone` and runs from there."""
    if today is None:
        return SYSTEM_CLOCK
    return PinnedClock(pinned_instant(today, zone))


def epoch_seconds() -> float:
    """The system clock's instant as Unix seconds (for token expiry and HTTP dates)."""
    return SYSTEM_CLOCK.now().timestamp()
