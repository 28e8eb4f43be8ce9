"""Expected answers computed straight from the fake's raw records — independent of the code under test."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from clockodo_mcp.fake.dataset import EntryRecord

BERLIN = ZoneInfo("Europe/Berlin")


def window(start: date, end: date) -> tuple[datetime, datetime]:
    """Inclusive Berlin days → half-open UTC window."""
    since = datetime.combine(start, time(0), tzinfo=BERLIN).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=BERLIN).astimezone(UTC)
    return since, until


def seconds_of(entry: EntryRecord, now: datetime) -> int:
    if entry.type != 1:
        return 0
    if entry.time_until is None:
        return int((now - entry.time_since).total_seconds())
    return int(entry.duration or 0)


def value_of(entry: EntryRecord, now: datetime, prices: dict[int, float]) -> float:
    if entry.type == 2:
        return float(entry.lumpsum or 0.0)
    if entry.type == 3:
        return float(entry.lumpsum_services_amount or 0.0) * prices.get(entry.lumpsum_services_id or 0, 0.0)
    if entry.billable == 0:
        return 0.0
    return float(entry.hourly_rate or 0.0) * seconds_of(entry, now) / 3600


def select(
    store: Any,
    start: date,
    end: date,
    *,
    billable: Iterable[int] = (0, 1, 2),
    where: Callable[[EntryRecord], bool] = lambda e: True,
) -> list[EntryRecord]:
    since, until = window(start, end)
    states = set(billable)
    return [e for e in store.entries if since <= e.time_since < until and e.billable in states and where(e)]


def totals(store: Any, entries: Iterable[EntryRecord], now: datetime) -> tuple[float, float]:
    """(hours, value) rounded as the tools round."""
    prices = {i: float(s["price"]) for i, s in store.lumpsum_services.items()}
    seconds = 0
    value = 0.0
    for entry in entries:
        seconds += seconds_of(entry, now)
        value += value_of(entry, now, prices)
    return round(seconds / 3600, 2), round(value, 2)


def by(
    store: Any, entries: Iterable[EntryRecord], key: Callable[[EntryRecord], Any], now: datetime
) -> dict[Any, tuple[float, float]]:
    grouped: dict[Any, list[EntryRecord]] = defaultdict(list)
    for entry in entries:
        grouped[key(entry)].append(entry)
    return {k: totals(store, v, now) for k, v in grouped.items()}


def id_of(table: dict[int, dict[str, Any]], name: str) -> int:
    matches = [i for i, row in table.items() if row["name"] == name]
    assert len(matches) == 1, (name, matches)
    return matches[0]
