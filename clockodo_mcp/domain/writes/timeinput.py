"""How agents write times: durations ("1.5h", "90m", "1:30", 2.5), clock times ("09:00") and ISO datetimes."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clockodo_mcp.domain.periods import FIRST_DAY, LAST_DAY
from clockodo_mcp.domain.writes.plan import WriteRejected

MAX_SECONDS = 24 * 3600
_NOTHING = "Nothing was changed."

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_UNITS = re.compile(r"(\d+(?:[.,]\d+)?)\s*(h|hrs?|hours?|m|mins?|minutes?)", re.IGNORECASE)


def parse_duration(value: str | float) -> int:
    """Seconds from hours as a number, '1.5h', '90m', '1h 30m', '1:30' or '2'; refuses ≤ 0 and > 24 h."""
    seconds = _duration_seconds(value)
    if seconds <= 0:
        raise WriteRejected(f"The duration {value!r} is not positive. Give a duration above 0, e.g. '1.5h'. {_NOTHING}")
    if seconds > MAX_SECONDS:
        raise WriteRejected(
            f"The duration {value!r} is longer than 24 hours; Clockodo entries cannot span more than a day. "
            f"Split the work into one entry per day. {_NOTHING}"
        )
    return seconds


def _duration_seconds(value: str | float) -> int:
    if isinstance(value, bool):
        raise WriteRejected(
            f"The duration {value!r} is not a duration. Use e.g. 1.5, '1.5h', '90m' or '1:30'. {_NOTHING}"
        )
    if isinstance(value, int | float):
        return _seconds(float(value) * 3600, value)
    text = value.strip().lower()
    clock = _CLOCK.match(text)
    if clock:
        return int(clock.group(1)) * 3600 + int(clock.group(2)) * 60 + int(clock.group(3) or 0)
    try:
        return _seconds(float(text.replace(",", ".")) * 3600, value)
    except ValueError:
        pass
    parts = _UNITS.findall(text)
    if parts and _UNITS.sub("", text).strip() == "":
        total = 0.0
        for amount, unit in parts:
            number = float(amount.replace(",", "."))
            total += number * (3600 if unit.startswith("h") else 60)
        return _seconds(total, value)
    raise WriteRejected(
        f"The duration {value!r} is not understood. Use hours as a number (1.5), '1.5h', '90m', '1h 30m' or "
        f"'1:30'. {_NOTHING}"
    )


def _seconds(seconds: float, value: str | float) -> int:
    # 'inf', 'nan' and '1e400' parse as floats; a duration must be a finite number before it is rounded.
    if not math.isfinite(seconds):
        raise WriteRejected(
            f"The duration {value!r} is not a finite number of hours. Use e.g. 1.5 or '90m'. {_NOTHING}"
        )
    return round(seconds)


def check_in_range(moment: date, value: str) -> None:
    """Refuse a day or time outside the years Clockodo accepts (also keeps date arithmetic from overflowing)."""
    if not FIRST_DAY <= (moment.date() if isinstance(moment, datetime) else moment) <= LAST_DAY:
        raise WriteRejected(
            f"{value!r} is outside the years Clockodo accepts: use a day from {FIRST_DAY.isoformat()} to "
            f"{LAST_DAY.isoformat()}. {_NOTHING}"
        )


def parse_day(value: str) -> date:
    """A 'YYYY-MM-DD' day within the years Clockodo accepts."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise WriteRejected(
            f"The date {value!r} is not a day. Use 'YYYY-MM-DD', e.g. '2026-11-24'. {_NOTHING}"
        ) from None
    check_in_range(day, value)
    return day


def parse_moment(value: str, day: date | None, tz: ZoneInfo) -> tuple[datetime, bool]:
    """An aware UTC datetime from 'HH:MM' on `day` (account time zone) or an ISO datetime; True if it named a day."""
    text = value.strip()
    clock = _CLOCK.match(text)
    if clock:
        if day is None:
            raise WriteRejected(f"The time {value!r} needs a date. Pass date='YYYY-MM-DD'. {_NOTHING}")
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if hour == 24 and minute == 0 and second == 0:
            local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        elif hour > 23 or minute > 59 or second > 59:
            raise WriteRejected(f"The time {value!r} is not a time of day. Use 'HH:MM', e.g. '09:30'. {_NOTHING}")
        else:
            local = datetime.combine(day, time(hour, minute, second), tzinfo=tz)
        return local.astimezone(UTC), False
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WriteRejected(
            f"The time {value!r} is not understood. Use 'HH:MM' (with date) or an ISO datetime such as "
            f"'2026-11-24T09:30'. {_NOTHING}"
        ) from None
    check_in_range(moment, value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC), True


def fmt_duration(seconds: int) -> str:
    """'1:30 h'."""
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d} h"
