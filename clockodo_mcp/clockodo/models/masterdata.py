"""Customers, projects, subprojects, services, lump-sum services, rates."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .base import ClockodoModel, UtcDatetime
from .enums import BudgetInterval


class Customer(ClockodoModel):
    """A customer (`/v3/customers`)."""

    id: int
    name: str
    number: str | None = None
    active: bool = True
    billable_default: bool | None = None
    color: int | None = None
    note: str | None = None
    bill_service_id: str | None = None
    service_assignments: list[int] | None = None
    test_data: bool | None = None


class ProjectBudget(ClockodoModel):
    """A project's budget: money or hours, hard or soft, own, from subprojects or per interval."""

    monetary: bool = False
    hard: bool = False
    from_subprojects: bool = False
    interval: BudgetInterval | None = None
    amount: float | None = None
    notification_thresholds: list[int] = Field(default_factory=list)
    subprojects_budget_total: float | None = None


class Project(ClockodoModel):
    """A project (`/v4/projects`)."""

    id: int
    customers_id: int
    name: str
    number: str | None = None
    active: bool = True
    billable_default: bool | None = None
    note: str | None = None
    completed: bool = False
    completed_at: UtcDatetime | None = None
    billed_money: float | None = None
    billed_completely: bool | None = None
    revenue_factor: float | None = None
    deadline: dt.date | None = None
    start_date: dt.date | None = None
    automatic_completion: bool | None = None
    count_subprojects: int | None = None
    budget: ProjectBudget | None = None
    bill_service_id: str | None = None
    service_assignments: list[int] | None = None
    test_data: bool | None = None


class Subproject(ClockodoModel):
    """A subproject (`/v3/subprojects`)."""

    id: int
    projects_id: int
    name: str
    number: str | None = None
    note: str | None = None
    active: bool = True
    billable_default: bool | None = None
    budget: ProjectBudget | None = None
    billed: int | None = None
    billed_money: float | None = None
    billed_completely: bool | None = None
    completed: bool = False
    completed_at: UtcDatetime | None = None
    revenue_factor: float | None = None
    start_date: dt.date | None = None
    deadline: dt.date | None = None
    automatic_completion: bool | None = None
    service_assignments: list[int] | None = None
    bill_service_id: str | None = None


class Service(ClockodoModel):
    """A service (`/v4/services`); services carry no rate in v4."""

    id: int
    name: str
    number: str | None = None
    active: bool = True
    note: str | None = None
    bill_service_id: str | None = None


class LumpSumService(ClockodoModel):
    """A lump-sum service with a unit price (`/v4/lumpSumServices`)."""

    id: int
    name: str
    price: float
    unit: str | None = None
    number: str | None = None
    active: bool = True
    note: str | None = None


class Rate(ClockodoModel):
    """An hourly-rate rule (`/v4/rates`)."""

    id: int | None = None
    parent_rate_id: int | None = None
    customer_ids: list[int] = Field(default_factory=list)
    project_ids: list[int] = Field(default_factory=list)
    service_ids: list[int] = Field(default_factory=list)
    user_ids: list[int] = Field(default_factory=list)
    hourly_rate: float
    position: int | None = None
    test_data: bool | None = None
