"""The fake's in-memory Clockodo company: master data as dicts, entries as `EntryRecord`s sorted by start."""

from __future__ import annotations

import copy
import secrets
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from clockodo_mcp.fake.dataset import Dataset, EntryRecord
from clockodo_mcp.fake.rating import RateBook
from clockodo_mcp.fake.rendered import RenderedEntries

JSON = dict[str, Any]


def _start_key(entry: EntryRecord) -> datetime:
    return entry.time_since


def _sort_key(entry: EntryRecord) -> tuple[datetime, int]:
    return entry.time_since, entry.id


def _index(items: Iterable[JSON]) -> dict[int, JSON]:
    return {int(item["id"]): copy.deepcopy(item) for item in items}


class Store:
    """Everything the fake serves. Takes ownership of the dataset's `EntryRecord`s (mutated in place)."""

    def __init__(self, dataset: Dataset, now: Callable[[], datetime]) -> None:
        self.now = now
        self.today = dataset.today
        self.company: JSON = copy.deepcopy(dataset.company)
        self.tz = ZoneInfo(str(self.company.get("timezone_default") or "Europe/Berlin"))
        self.users = _index(dataset.users)
        self.api_keys = dict(dataset.api_keys)
        self.teams = _index(dataset.teams)
        self.customers = _index(dataset.customers)
        self.projects = _index(dataset.projects)
        self.subprojects = _index(dataset.subprojects)
        self.services = _index(dataset.services)
        self.lumpsum_services = _index(dataset.lumpsum_services)
        self.rates = _index(dataset.rates)
        self.default_hourly_rate = float(dataset.default_hourly_rate)
        self.absences = _index(dataset.absences)
        self.target_hours = _index(dataset.target_hours)
        self.holidays_quota = _index(dataset.holidays_quota)
        self.nonbusiness_groups = _index(dataset.nonbusiness_groups)
        self.nonbusiness_days = _index(dataset.nonbusiness_days)
        # Bumped on every entry mutation; entry-group confirm keys are bound to it.
        self.version = 0
        # What changed entries since the last drain, as webhook events (fake/webhooks.py); None: nobody listens.
        self.entry_events: list[tuple[str, int]] | None = None
        self.secret = secrets.token_bytes(32)
        self.rate_book = RateBook(self.rates.values(), self.default_hourly_rate)
        self.texts: dict[str, int] = {}
        self._users_by_email: dict[str, JSON] = {}
        self.reindex_users()
        self.entries: list[EntryRecord] = sorted(dataset.entries, key=_sort_key)
        self._by_id: dict[int, EntryRecord] = {}
        # Each user's entries in the same (time_since, id) order: work times are asked per user and day range.
        self._by_user: dict[int, list[EntryRecord]] = {}
        self._running: dict[int, EntryRecord] = {}
        for entry in self.entries:
            self._prepare_loaded(entry)
        self._next_entry_id = max(self._by_id, default=0) + 1
        # `/v2/entries` pages as JSON bytes per entry, re-rendered whenever an entry or its view changed.
        self.rendered = RenderedEntries()

    # -- users -------------------------------------------------------------------------------------------

    def reindex_users(self) -> None:
        """Rebuild the e-mail index after a user changed."""
        self._users_by_email = {str(u.get("email", "")).lower(): u for u in self.users.values() if u.get("email")}

    @property
    def users_by_email(self) -> dict[str, JSON]:
        """Users by lower-cased e-mail (login name)."""
        return self._users_by_email

    def user_name(self, users_id: int | None) -> str:
        """A user's display name ('' when unknown)."""
        user = self.users.get(users_id or 0)
        return str(user.get("name", "")) if user else ""

    # -- ids and rates -----------------------------------------------------------------------------------

    @staticmethod
    def next_id(table: dict[int, JSON]) -> int:
        """The next free id of a master-data table."""
        return max(table, default=0) + 1

    def rebuild_rates(self) -> None:
        """Recompile the rate rules after a change (existing entries keep their stamped rate, like Clockodo)."""
        self.rate_book = RateBook(self.rates.values(), self.default_hourly_rate)

    def rate_for(self, entry: EntryRecord) -> float:
        """The rate the rules give this entry now."""
        return self.rate_book.rate_for(entry.customers_id, entry.projects_id, entry.services_id, entry.users_id)

    def text_id(self, text: str | None) -> int | None:
        """Clockodo de-duplicates descriptions: the same text always has the same `texts_id`."""
        if not text:
            return None
        found = self.texts.get(text)
        if found is None:
            found = self.texts[text] = len(self.texts) + 1
        return found

    def lumpsum_prices(self) -> dict[int, float]:
        """Unit price per lump-sum service."""
        return {lid: float(item.get("price") or 0.0) for lid, item in self.lumpsum_services.items()}

    def hard_open_projects(self) -> frozenset[int]:
        """Projects whose budget is hard and not completed: their entries' revenue is withheld."""
        return frozenset(
            pid
            for pid, project in self.projects.items()
            if (project.get("budget") or {}).get("hard") and not project.get("completed")
        )

    # -- entries -----------------------------------------------------------------------------------------

    def _prepare_loaded(self, entry: EntryRecord) -> None:
        if entry.type == 1 and entry.hourly_rate is None:
            entry.hourly_rate = self.rate_for(entry)
        if entry.text and entry.texts_id is None:
            entry.texts_id = self.text_id(entry.text)
        elif entry.text and entry.texts_id is not None:
            self.texts.setdefault(entry.text, entry.texts_id)
        if entry.time_insert is None:
            entry.time_insert = entry.time_since
        if entry.time_last_change is None:
            entry.time_last_change = entry.time_insert
        self._by_id[entry.id] = entry
        self._by_user.setdefault(entry.users_id, []).append(entry)  # loaded in order: stays sorted
        if self._is_running(entry):
            self._running[entry.users_id] = entry

    def entry(self, entry_id: int) -> EntryRecord | None:
        """One entry by id."""
        return self._by_id.get(entry_id)

    def running_entry(self, users_id: int) -> EntryRecord | None:
        """The user's running clock entry, if any."""
        return self._running.get(users_id)

    def window(self, since: datetime, until: datetime) -> list[EntryRecord]:
        """Entries whose `time_since` lies in [since, until), in (time_since, id) order, found by bisection."""
        lo = bisect_left(self.entries, since, key=_start_key)
        hi = bisect_left(self.entries, until, lo=lo, key=_start_key)
        return self.entries[lo:hi]

    def user_window(self, users_id: int, since: datetime, until: datetime) -> list[EntryRecord]:
        """One user's entries whose `time_since` lies in [since, until), in (time_since, id) order."""
        own = self._by_user.get(users_id, [])
        lo = bisect_left(own, since, key=_start_key)
        hi = bisect_left(own, until, lo=lo, key=_start_key)
        return own[lo:hi]

    def add_entry(self, entry: EntryRecord) -> EntryRecord:
        """Insert a new entry (its id is assigned here)."""
        entry.id = self._next_entry_id
        self._next_entry_id += 1
        insort(self.entries, entry, key=_sort_key)
        self._by_id[entry.id] = entry
        insort(self._by_user.setdefault(entry.users_id, []), entry, key=_sort_key)
        self._track_running(entry, None)
        self.version += 1
        self._event("entry.started" if self._is_running(entry) else "entry.created", entry.id)
        return entry

    def update_entry(self, entry: EntryRecord, changes: dict[str, Any]) -> EntryRecord:
        """Apply field changes, keeping the start order and the running-clock index right."""
        old_user = entry.users_id
        was_running = self._is_running(entry)
        moved = "time_since" in changes and changes["time_since"] != entry.time_since
        reowned = moved or ("users_id" in changes and changes["users_id"] != entry.users_id)
        if moved:
            self._remove_from_order(entry)
        if reowned:
            self._remove_from_user(entry)
        for name, value in changes.items():
            setattr(entry, name, value)
        entry.time_last_change = self.now()
        if moved:
            insort(self.entries, entry, key=_sort_key)
        if reowned:
            insort(self._by_user.setdefault(entry.users_id, []), entry, key=_sort_key)
        self._track_running(entry, old_user)
        self.version += 1
        stopped = was_running and not self._is_running(entry)
        self._event("entry.stopped" if stopped else "entry.updated", entry.id)
        return entry

    def delete_entry(self, entry: EntryRecord) -> None:
        """Remove an entry."""
        self._remove_from_order(entry)
        self._remove_from_user(entry)
        del self._by_id[entry.id]
        self.rendered.forget(entry.id)
        if self._running.get(entry.users_id) is entry:
            del self._running[entry.users_id]
        self.version += 1
        self._event("entry.deleted", entry.id)

    def _event(self, name: str, entry_id: int) -> None:
        if self.entry_events is not None:
            self.entry_events.append((name, entry_id))

    def drain_entry_events(self) -> list[tuple[str, int]]:
        """The entry events since the last drain, oldest first (and from now on, events are recorded)."""
        events, self.entry_events = self.entry_events or [], []
        return events

    @staticmethod
    def _is_running(entry: EntryRecord) -> bool:
        return entry.type == 1 and entry.time_until is None

    def _remove_from_order(self, entry: EntryRecord) -> None:
        index = bisect_left(self.entries, (entry.time_since, entry.id), key=_sort_key)
        if index < len(self.entries) and self.entries[index] is entry:
            del self.entries[index]
        else:  # pragma: no cover - defensive: the order index and the records disagree
            self.entries.remove(entry)

    def _remove_from_user(self, entry: EntryRecord) -> None:
        own = self._by_user.get(entry.users_id, [])
        index = bisect_left(own, (entry.time_since, entry.id), key=_sort_key)
        if index < len(own) and own[index] is entry:
            del own[index]
        else:  # pragma: no cover - defensive: the user index and the records disagree
            own.remove(entry)

    def _track_running(self, entry: EntryRecord, old_user: int | None) -> None:
        if old_user is not None and self._running.get(old_user) is entry:
            del self._running[old_user]
        if self._is_running(entry):
            self._running[entry.users_id] = entry

    # -- calendar ----------------------------------------------------------------------------------------

    def local_date(self, moment: datetime) -> date:
        """The company-local calendar date of a UTC moment."""
        return moment.astimezone(self.tz).date()

    def local_today(self) -> date:
        """Today in the company's time zone, from the injected clock."""
        return self.local_date(self.now())
