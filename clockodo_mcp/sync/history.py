"""Burn history from a mirror: each project's daily budget snapshot on or before given days, read-only.

Clockodo keeps no history of budgets; `budget_snapshots` does (one row per project per day a sync ran).
`budget_status` adds it to its live figures when the mirror is fresh enough to trust (`staleness`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from clockodo_mcp.sync.reader import _reader


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One project's budget and usage on one day, as a sync saw them (usage counts from the mirror's first month)."""

    day: dt.date
    monetary: bool
    amount: float | None
    used_seconds: int
    used_money: float


@dataclass(frozen=True, slots=True)
class BurnHistory:
    """What a mirror knows of some projects' budgets: their newest snapshot and the latest on or before each day."""

    location: str
    last_sync: dt.datetime | None
    latest: dict[int, Snapshot]
    on: dict[dt.date, dict[int, Snapshot]]


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _snapshots(reader: Any, ids: str, day: dt.date | None) -> dict[int, Snapshot]:
    """Each project's newest snapshot, on or before `day` when given."""
    until = f" AND snapshot_date <= DATE '{day.isoformat()}'" if day is not None else ""
    _, rows = reader.fetch(
        "SELECT s.projects_id, s.snapshot_date, s.budget_monetary, s.budget_amount, s.used_seconds, s.used_revenue "
        'FROM "budget_snapshots" s JOIN (SELECT projects_id, max(snapshot_date) AS latest_day FROM "budget_snapshots" '
        f"WHERE projects_id IN ({ids}){until} GROUP BY projects_id) m "
        "ON s.projects_id = m.projects_id AND s.snapshot_date = m.latest_day"
    )
    return {
        int(project): Snapshot(
            day=_day(when),
            monetary=bool(monetary),
            amount=None if amount is None else float(amount),
            used_seconds=int(seconds or 0),
            used_money=float(money or 0),
        )
        for project, when, monetary, amount, seconds, money in rows
    }


def read_burn_history(url: str, project_ids: Iterable[int], days: Sequence[dt.date]) -> BurnHistory:
    """The last sync's end and the projects' snapshots (newest, and latest on or before each day), in one connection."""
    ids = ", ".join(str(int(i)) for i in sorted(set(project_ids)))
    with _reader(url) as reader:
        _, state = reader.fetch('SELECT "value" FROM "sync_state" WHERE "key" = \'last_run_finished_at\'')
        finished = str(state[0][0]) if state and state[0][0] else None
        latest = _snapshots(reader, ids, None) if ids else {}
        on = {day: _snapshots(reader, ids, day) if ids else {} for day in days}
        location = reader.location
    last_sync = dt.datetime.fromisoformat(finished.replace("Z", "+00:00")) if finished else None
    return BurnHistory(location=location, last_sync=last_sync, latest=latest, on=on)


def pct_used_on(history: BurnHistory, project_id: int, *, monetary: bool, used_now: float) -> dict[dt.date, float]:
    """% of the budget used on each asked day, keyed by the snapshot's date (days without one are left out).

    The mirror's sums start at its first month (`--since`), the live figure at the project's start, so only their
    differences are used: today's usage minus what burned since that snapshot, over that day's budget. A snapshot
    whose budget was in the other unit, or had no amount, gives no point.
    """
    latest = history.latest.get(project_id)
    points: dict[dt.date, float] = {}
    if latest is None:
        return points
    for snapshots in history.on.values():
        then = snapshots.get(project_id)
        if then is None or then.monetary != monetary or not then.amount or then.day in points:
            continue
        burned = latest.used_money - then.used_money if monetary else (latest.used_seconds - then.used_seconds) / 3600
        points[then.day] = (used_now - burned) / then.amount * 100.0
    return points


def _span(age: dt.timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def staleness(
    last_sync: dt.datetime | None, now: dt.datetime, *, max_age_minutes: int, last_write: dt.datetime | None
) -> str | None:
    """Why the mirror may not stand in for the live account, or None when it is fresh.

    Fresh: the last sync finished at most `max_age_minutes` before `now`, and no write went through this server
    after it (such a write is in Clockodo but not yet in the mirror).
    """
    if last_sync is None:
        return "the mirror has never completed a sync"
    age = now - last_sync
    if age > dt.timedelta(minutes=max_age_minutes):
        return f"the mirror is {_span(age)} old (more than {max_age_minutes} min)"
    if last_write is not None and last_write > last_sync:
        return "a write was applied through this server after the mirror's last sync"
    return None
