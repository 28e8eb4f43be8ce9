"""Calendar facts for the demo company: Berlin public holidays, working days and UTC offsets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
NONBUSINESS_GROUP_ID = 1


@dataclass(frozen=True, slots=True)
class Holiday:
    """One public holiday as Clockodo models it (recurring on a fixed date or movable around Easter)."""

    name: str
    kind: str  # "DISTINCT_RECURRING" or "SPECIAL"
    day: int | None = None
    month: int | None = None
    easter_offset: int | None = None
    special_id: int | None = None
    surcharge_special: bool = False

    def on(self, year: int) -> date:
        """The holiday's date in `year`."""
        if self.easter_offset is not None:
            return easter_sunday(year) + timedelta(days=self.easter_offset)
        assert self.day is not None
        assert self.month is not None
        return date(year, self.month, self.day)


# Berlin's statutory holidays; special_id values are our own stable labels for the movable feasts.
BERLIN_HOLIDAYS: tuple[Holiday, ...] = (
    Holiday("New Year's Day", "DISTINCT_RECURRING", day=1, month=1, surcharge_special=True),
    Holiday("International Women's Day", "DISTINCT_RECURRING", day=8, month=3),
    Holiday("Good Friday", "SPECIAL", easter_offset=-2, special_id=2),
    Holiday("Easter Monday", "SPECIAL", easter_offset=1, special_id=3),
    Holiday("Labour Day", "DISTINCT_RECURRING", day=1, month=5, surcharge_special=True),
    Holiday("Ascension Day", "SPECIAL", easter_offset=39, special_id=4),
    Holiday("Whit Monday", "SPECIAL", easter_offset=50, special_id=5),
    Holiday("German Unity Day", "DISTINCT_RECURRING", day=3, month=10),
    Holiday("Christmas Day", "DISTINCT_RECURRING", day=25, month=12, surcharge_special=True),
    Holiday("Boxing Day", "DISTINCT_RECURRING", day=26, month=12, surcharge_special=True),
)


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def public_holidays(years: Iterable[int]) -> dict[date, str]:
    """Every Berlin public holiday in `years`, date → name."""
    return {h.on(y): h.name for y in years for h in BERLIN_HOLIDAYS}


def nonbusiness_days(years: Iterable[int]) -> list[dict[str, object]]:
    """`NonbusinessDayV2` records of the Berlin group, one per holiday and year (each with its evaluated_date)."""
    rows: list[dict[str, object]] = []
    for year in years:
        for h in BERLIN_HOLIDAYS:
            row: dict[str, object] = {
                "id": len(rows) + 1,
                "nonbusiness_group_id": NONBUSINESS_GROUP_ID,
                "type": h.kind,
                "name": h.name,
                "half_day": False,
                "surcharge_special": h.surcharge_special,
                "evaluated_date": h.on(year).isoformat(),
            }
            if h.kind == "SPECIAL":
                row["special_id"] = h.special_id
            else:
                row["day"] = h.day
                row["month"] = h.month
            rows.append(row)
    return rows


def utc_midnight(day: date) -> datetime:
    """The UTC instant of local Berlin midnight on `day`, using the day's noon offset (DST switches at 2-3 am)."""
    offset = BERLIN.utcoffset(datetime(day.year, day.month, day.day, 12))
    assert offset is not None
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - offset


def days_between(first: date, last: date) -> list[date]:
    """All dates from `first` to `last` inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
