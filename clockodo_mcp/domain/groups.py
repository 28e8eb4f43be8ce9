"""Entry-group trees as flat leaves, and taking back what Clockodo counted for running timers.

`GET /v2/entrygroups` counts a running entry as if it ended now (its duration so far, and rate × that duration as
revenue). Reports want finished work only, so the exact contribution of each running entry is subtracted from the
one leaf it fell into.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from clockodo_mcp.clockodo import Entry, EntryGroup

_ID_KEYS = (
    "customers_id",
    "projects_id",
    "subprojects_id",
    "services_id",
    "users_id",
    "texts_id",
    "lumpsum_services_id",
)
_NONE_KEYS = frozenset({"", "0", "None", "null"})


@dataclass(slots=True)
class Leaf:
    """One innermost group of an entry-group tree, with the key of every level above it."""

    keys: dict[str, str]
    names: dict[str, str]
    seconds: int
    revenue: float


def leaves(
    groups: Sequence[EntryGroup], keys: dict[str, str] | None = None, names: dict[str, str] | None = None
) -> Iterator[Leaf]:
    """Flatten a nested entry-group tree into its leaves."""
    for group in groups:
        here_keys = {**(keys or {}), group.grouped_by: group.group}
        here_names = {**(names or {}), group.grouped_by: group.name}
        if group.sub_groups:
            yield from leaves(group.sub_groups, here_keys, here_names)
        else:
            yield Leaf(here_keys, here_names, group.duration or 0, float(group.revenue or 0.0))


def running_revenue(entry: Entry, seconds: int) -> float:
    """What Clockodo adds as revenue for a running entry after `seconds`: rate × hours, per entry to the cent."""
    if int(entry.billable) not in (1, 2) or not entry.hourly_rate:
        return 0.0
    return round(float(entry.hourly_rate) * seconds / 3600.0, 2)


def _date_key_matches(grouping: str, key: str, day: date) -> bool:
    """Whether a year / month / week / day group key (Clockodo's strings) is the one `day` falls into."""
    if grouping == "day":
        return key[:10] == day.isoformat()
    if grouping == "month":
        return key[:7] == f"{day.year:04d}-{day.month:02d}"
    if grouping == "year":
        return key[:4] == f"{day.year:04d}"
    iso_year, iso_week, _ = day.isocalendar()
    return key.replace("W", "").replace("-", "") in (f"{iso_year:04d}{iso_week:02d}", f"{iso_year:04d}{iso_week}")


def _leaf_holds(leaf: Leaf, entry: Entry, tz: ZoneInfo) -> bool:
    """Whether `entry` was counted in this leaf: every level's key is the entry's value."""
    day = entry.time_since.astimezone(tz).date()
    for grouping, key in leaf.keys.items():
        if grouping in _ID_KEYS:
            value = getattr(entry, grouping)
            if (key not in _NONE_KEYS) if value is None else key != str(value):
                return False
        elif grouping == "billable":
            if key != str(int(entry.billable)):
                return False
        elif grouping == "is_lumpsum":
            if key not in ("0", "false", "False"):
                return False
        elif grouping in ("year", "month", "week", "day") and not _date_key_matches(grouping, key, day):
            return False
    return True


def without_running(
    found: Sequence[Leaf],
    running: Sequence[Entry],
    now: datetime,
    tz: ZoneInfo,
    *,
    valued: Callable[[Entry], bool] = lambda _: True,
) -> list[Leaf]:
    """The leaves minus what each running entry added to its leaf; leaves left empty by that are dropped.

    `running` must be the running entries the request selected (its window and filter). `valued(entry)` says
    whether the request counted the entry's revenue (not for an open hard budget unless forced). Each amount is
    capped at what the leaf holds, so a few seconds' difference between Clockodo's clock and ours never make a
    leaf negative.
    """
    result = [Leaf(dict(leaf.keys), dict(leaf.names), leaf.seconds, leaf.revenue) for leaf in found]
    emptied: set[int] = set()
    for entry in running:
        slot = next((i for i, leaf in enumerate(result) if _leaf_holds(leaf, entry, tz)), None)
        if slot is None:
            continue
        leaf = result[slot]
        seconds = min(leaf.seconds, max(0, int((now - entry.time_since).total_seconds())))
        revenue = min(leaf.revenue, running_revenue(entry, seconds)) if valued(entry) else 0.0
        leaf.seconds -= seconds
        leaf.revenue = round(leaf.revenue - revenue, 2)
        if leaf.seconds == 0 and abs(leaf.revenue) < 0.005:
            emptied.add(slot)
    return [leaf for i, leaf in enumerate(result) if i not in emptied]
