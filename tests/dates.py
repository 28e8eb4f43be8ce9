"""The calendar days every date-sensitive test runs on: the edges where periods, budgets and timers go wrong."""

from __future__ import annotations

from datetime import date

import pytest

DATE_MATRIX: dict[str, date] = {
    "first-of-month": date(2026, 12, 1),
    "last-of-month": date(2026, 11, 30),
    "leap-day": date(2028, 2, 29),
    "dst-spring-forward": date(2026, 3, 29),  # Europe/Berlin 02:00 → 03:00
    "dst-fall-back": date(2026, 10, 25),  # Europe/Berlin 03:00 → 02:00
    "new-year": date(2027, 1, 1),
    "monday": date(2026, 11, 23),
    "sunday": date(2026, 11, 29),
}


def each_day() -> pytest.MarkDecorator:
    """Parametrize a test with `day` over the matrix, one readable id per day."""
    return pytest.mark.parametrize("day", list(DATE_MATRIX.values()), ids=list(DATE_MATRIX))
