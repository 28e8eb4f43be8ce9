"""Hourly-rate rules (`/v4/rates`) resolved by specificity, and entry revenue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clockodo_mcp.fake.dataset import EntryRecord

_CRITERIA = ("customer_ids", "project_ids", "service_ids", "user_ids")


class RateBook:
    """The effective hourly rate for (customer, project, service, user); built once per rule change."""

    def __init__(self, rules: Iterable[Mapping[str, Any]], default_rate: float) -> None:
        self.default_rate = default_rate
        ranked: list[tuple[tuple[int, ...], tuple[frozenset[int], ...], float]] = []
        for rule in rules:
            sets = tuple(frozenset(rule.get(name) or ()) for name in _CRITERIA)
            customers, projects, services, users = sets
            key = (
                sum(1 for s in sets if s),
                int(bool(projects)),
                int(bool(customers)),
                int(bool(users)),
                int(bool(services)),
                -int(rule.get("position") or 0),
            )
            ranked.append((key, sets, float(rule["hourly_rate"])))
        # Highest specificity first, so the first match wins.
        ranked.sort(key=lambda item: item[0], reverse=True)
        self._rules = [(sets, rate) for _, sets, rate in ranked]
        self._cache: dict[tuple[int | None, ...], float] = {}

    def rate_for(
        self, customers_id: int | None, projects_id: int | None, services_id: int | None, users_id: int | None
    ) -> float:
        """The most specific matching rule's rate, else the company default."""
        key = (customers_id, projects_id, services_id, users_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        rate = self.default_rate
        for (customers, projects, services, users), rule_rate in self._rules:
            if (
                (not customers or customers_id in customers)
                and (not projects or projects_id in projects)
                and (not services or services_id in services)
                and (not users or users_id in users)
            ):
                rate = rule_rate
                break
        self._cache[key] = rate
        return rate


def time_entry_seconds(entry: EntryRecord, now_ts: float) -> int:
    """Seconds of a time entry; a running one counts until now."""
    if entry.time_until is None:
        return max(0, int(now_ts - entry.time_since.timestamp()))
    if entry.duration is not None:
        return entry.duration
    return int((entry.time_until - entry.time_since).total_seconds())


def raw_revenue(entry: EntryRecord, seconds: int, lumpsum_prices: Mapping[int, float]) -> float:
    """Revenue before the hard-budget rule: rate × hours, the lump sum, or amount × price."""
    if entry.type == 1:
        if entry.billable in (1, 2) and entry.hourly_rate:
            return round(entry.hourly_rate * seconds / 3600.0, 2)
        return 0.0
    if entry.type == 2:
        return round(entry.lumpsum or 0.0, 2)
    price = lumpsum_prices.get(entry.lumpsum_services_id or 0, 0.0)
    return round((entry.lumpsum_services_amount or 0.0) * price, 2)
