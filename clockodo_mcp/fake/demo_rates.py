"""Hourly-rate rules resolved the way the fake stamps them, and project budget usage computed from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from clockodo_mcp.fake.dataset import EntryRecord

_CRITERIA = ("customer_ids", "project_ids", "service_ids", "user_ids")


def effective_hourly_rate(
    rates: Sequence[Mapping[str, Any]],
    default: float,
    *,
    customers_id: int,
    projects_id: int | None,
    services_id: int | None,
    users_id: int,
) -> float:
    """The rate of the most specific matching rule (count of criteria, project, customer, user, service, -position)."""
    values = dict(zip(_CRITERIA, (customers_id, projects_id, services_id, users_id), strict=True))
    best: tuple[int, bool, bool, bool, bool, int] | None = None
    rate = default
    for rule in rates:
        if any(rule[c] and values[c] not in rule[c] for c in _CRITERIA):
            continue
        key = (
            sum(1 for c in _CRITERIA if rule[c]),
            bool(rule["project_ids"]),
            bool(rule["customer_ids"]),
            bool(rule["user_ids"]),
            bool(rule["service_ids"]),
            -int(rule["position"]),
        )
        if best is None or key > best:
            best, rate = key, float(rule["hourly_rate"])
    return rate


def project_usage(
    entries: Iterable[EntryRecord],
    rates: Sequence[Mapping[str, Any]],
    default: float,
    lumpsum_prices: Mapping[int, float],
) -> tuple[dict[int, float], dict[int, float]]:
    """Per project: hours logged (finished time entries) and revenue of billable entries before revenue factors."""
    hours: dict[int, float] = {}
    money: dict[int, float] = {}
    cache: dict[tuple[int, int | None, int | None, int], float] = {}
    for e in entries:
        if e.projects_id is None:
            continue
        p = e.projects_id
        if e.type == 1:
            if e.duration is None:
                continue
            hours[p] = hours.get(p, 0.0) + e.duration / 3600
            if not e.billable:
                continue
            rate = e.hourly_rate
            if rate is None:
                key = (e.customers_id, p, e.services_id, e.users_id)
                rate = cache.get(key)
                if rate is None:
                    rate = cache[key] = effective_hourly_rate(
                        rates,
                        default,
                        customers_id=e.customers_id,
                        projects_id=p,
                        services_id=e.services_id,
                        users_id=e.users_id,
                    )
            value = rate * e.duration / 3600
        elif not e.billable:
            continue
        elif e.type == 2:
            value = e.lumpsum or 0.0
        else:
            value = (e.lumpsum_services_amount or 0.0) * lumpsum_prices.get(e.lumpsum_services_id or 0, 0.0)
        money[p] = money.get(p, 0.0) + value
    return hours, money
