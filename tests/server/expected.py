"""Expected answers computed straight from the fake's raw records — independent of the code under test."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from clockodo_mcp.fake.dataset import EntryRecord

BERLIN = ZoneInfo("Europe/Berlin")
# Finding running timers on the demo (domain/running.py): the last 26 h listed, the long-day and long-week checks,
# and one listing of the forgotten timer's user (it has run longer than 26 h).
TIMER_LOOKUP_REQUESTS = 4


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


def is_running(entry: EntryRecord) -> bool:
    return entry.type == 1 and entry.time_until is None


def finished_seconds(entry: EntryRecord) -> int:
    if entry.type != 1 or entry.time_until is None:
        return 0
    if entry.duration is not None:
        return int(entry.duration)
    return int((entry.time_until - entry.time_since).total_seconds())


def clockodo_value(store: Any, entry: EntryRecord) -> float:
    """Clockodo's revenue of a finished entry: none yet on an open hard budget, × a completed one's revenue factor."""
    project = store.projects.get(entry.projects_id or 0) or {}
    hard = bool((project.get("budget") or {}).get("hard"))
    if hard and not project.get("completed"):
        return 0.0
    factor = project.get("revenue_factor") if hard and project.get("revenue_factor") is not None else 1.0
    if entry.type == 2:
        raw = round(float(entry.lumpsum or 0.0), 2)
    elif entry.type == 3:
        price = float(store.lumpsum_services[entry.lumpsum_services_id]["price"])
        raw = round(float(entry.lumpsum_services_amount or 0.0) * price, 2)
    elif entry.billable in (1, 2) and entry.hourly_rate:
        raw = round(entry.hourly_rate * finished_seconds(entry) / 3600, 2)
    else:
        raw = 0.0
    return float(raw * factor)


def open_hard_projects(store: Any) -> set[int]:
    return {pid for pid, p in store.projects.items() if (p.get("budget") or {}).get("hard") and not p.get("completed")}


def cents(value: float) -> int:
    """Money as whole cents, for exact comparisons."""
    return round(value * 100)


def select(
    store: Any,
    start: date,
    end: date,
    *,
    billable: Iterable[int] = (0, 1, 2),
    where: Callable[[EntryRecord], bool] = lambda e: True,
    running: bool = True,
) -> list[EntryRecord]:
    """Entries starting in the Berlin days [start, end]; `running=False` leaves running timers out (as reports do)."""
    since, until = window(start, end)
    states = set(billable)
    return [
        e
        for e in store.entries
        if since <= e.time_since < until and e.billable in states and where(e) and (running or not is_running(e))
    ]


def completed_totals(store: Any, entries: Iterable[EntryRecord]) -> tuple[int, int, int]:
    """(seconds, Clockodo value in cents, seconds on open hard budgets) of finished entries."""
    hard = open_hard_projects(store)
    seconds = value = withheld = 0.0
    for entry in entries:
        assert not is_running(entry)
        spent = finished_seconds(entry)
        seconds += spent
        value += clockodo_value(store, entry)
        if entry.projects_id in hard:
            withheld += spent
    return int(seconds), cents(value), int(withheld)


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
