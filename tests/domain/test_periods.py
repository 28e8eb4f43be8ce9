from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from clockodo_mcp.domain.periods import DateRange, PeriodError, parse_period

BERLIN = ZoneInfo("Europe/Berlin")
# Tuesday 24 November 2026, 23:30 UTC = Wednesday 00:30 in Berlin.
LATE_EVENING_UTC = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
NOON_UTC = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def period(value, now=NOON_UTC, **kwargs):
    return parse_period(value, tz=BERLIN, now=now, **kwargs)


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", date(2026, 11, 24), date(2026, 11, 24)),
        ("yesterday", date(2026, 11, 23), date(2026, 11, 23)),
        ("this_week", date(2026, 11, 23), date(2026, 11, 29)),
        ("last_week", date(2026, 11, 16), date(2026, 11, 22)),
        ("this_month", date(2026, 11, 1), date(2026, 11, 30)),
        ("last_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("this_quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("last_quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("this_year", date(2026, 1, 1), date(2026, 12, 31)),
        ("last_year", date(2025, 1, 1), date(2025, 12, 31)),
        ("last_30_days", date(2026, 10, 26), date(2026, 11, 24)),
        ("last_1_day", date(2026, 11, 24), date(2026, 11, 24)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2026-11-03", date(2026, 11, 3), date(2026, 11, 3)),
        ("This Month", date(2026, 11, 1), date(2026, 11, 30)),
    ],
)
def test_named_periods_resolve_to_inclusive_calendar_days(name, start, end):
    resolved = period(name)
    assert (resolved.start, resolved.end) == (start, end)


def test_today_is_the_account_time_zone_day_not_the_utc_day():
    assert period("today", now=LATE_EVENING_UTC).start == date(2026, 11, 25)


def test_a_period_maps_to_a_half_open_utc_window_across_daylight_saving():
    resolved = period({"from": "2026-10-01", "to": "2026-10-31"})
    assert resolved.utc_since == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # CEST
    assert resolved.utc_until == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # CET after the switch
    assert resolved.days == 31


def test_weeks_can_start_on_sunday():
    assert period("this_week", week_starts_monday=False).start == date(2026, 11, 22)


def test_an_explicit_range_model_is_accepted():
    resolved = period(DateRange.model_validate({"from": "2026-01-05", "to": "2026-01-09"}))
    assert resolved.label == "custom"
    assert resolved.describe() == "custom (2026-01-05 – 2026-01-09)"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fortnight", "Cannot understand the period 'fortnight'"),
        ("", "empty"),
        ("last_0_days", "out of range"),
        ("last_9999_days", "out of range"),
        ("2026-13", "no month 13"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "Swap 'from' and 'to'"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "at most two years"),
        ({"start": "2026-01-01"}, "Cannot understand the period"),
    ],
)
def test_bad_periods_are_refused_with_a_fix(value, message):
    with pytest.raises(PeriodError, match=message):
        period(value)


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31",
        "9999",
        "9999-12",
        "9999-Q4",
        "0001-01-01",
        "1999-12-31",
        "2038",
        {"from": "0001-01-01", "to": "9999-12-31"},
    ],
)
def test_a_period_outside_the_years_clockodo_accepts_is_refused_with_the_range(value):
    with pytest.raises(PeriodError, match=r"outside the years Clockodo accepts \(2000–2037\)"):
        period(value)


def test_the_first_and_last_days_clockodo_accepts_are_periods():
    resolved = period({"from": "2000-01-01", "to": "2000-12-31"})
    last = period("2037-12")
    assert (resolved.start, last.end) == (date(2000, 1, 1), date(2037, 12, 31))
    assert last.utc_until == datetime(2037, 12, 31, 23, 0, tzinfo=UTC)
