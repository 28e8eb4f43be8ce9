"""What the agent sees of money, hours and entries: the view models shared by reads and write previews."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from clockodo_mcp.clockodo import Entry, EntryType
from clockodo_mcp.domain.hours import BILLING_NAMES
from clockodo_mcp.domain.running import LOOKBACK_DAYS, elapsed_seconds

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

    from clockodo_mcp.domain.writes.deps import WriteDeps


class View(BaseModel):
    """A part of a write's preview or result. Its published schema leaves out the class docstring: every write tool
    carries its own copy of these in tools/list, and the field names say enough."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The schema without the class description."""
        schema = handler(core_schema)
        handler.resolve_ref_schema(schema).pop("description", None)
        return schema


_TYPE_NAMES: dict[EntryType, Literal["time", "lump_sum_value", "lump_sum_service"]] = {
    EntryType.TIME: "time",
    EntryType.LUMP_SUM_VALUE: "lump_sum_value",
    EntryType.LUMP_SUM_SERVICE: "lump_sum_service",
}


class Money(BaseModel):
    """An amount of money in the account currency."""

    amount: float = Field(description="Rounded to cents.")
    currency: str = Field(description="ISO 4217 code, e.g. EUR.")

    @classmethod
    def of(cls, amount: float, currency: str) -> Money:
        """Rounded to cents."""
        return cls(amount=round(amount + 0.0, 2), currency=currency)


class EntryOut(BaseModel):
    """One entry with names resolved."""

    id: int
    type: Literal["time", "lump_sum_value", "lump_sum_service"]
    date: str = Field(description="Day in the account time zone.")
    time_since: datetime
    time_until: datetime | None
    running: bool
    hours: float
    user: str
    users_id: int
    customer: str
    customers_id: int
    project: str | None
    projects_id: int | None
    service: str | None
    services_id: int | None
    billing: str = Field(description="not_billable, unbilled or billed.")
    text: str | None
    hourly_rate: float | None
    value: Money | None


# An entry inside a write's preview or result: the same JSON as `EntryOut` (get_entry's), published as a plain
# object, because its full schema in every write tool's output schema would cost ~350 tokens of tools/list per tool.
EntryShown = Annotated[EntryOut, WithJsonSchema({"type": "object"})]

# Nested parts of a preview or result (a budget, an invoice summary, a quota …) are typed here but published as
# plain objects, for the same reason: `Annotated[Budget, AS_OBJECT]`, `Annotated[Budget | None, AS_OBJECT_OR_NULL]`.
AS_OBJECT = WithJsonSchema({"type": "object"})
AS_OBJECT_OR_NULL = WithJsonSchema({"type": ["object", "null"]})
PlainObject = Annotated[dict[str, Any], AS_OBJECT]  # a part with no model of its own (the invoice summary)


def entry_out(entry: Entry, deps: WriteDeps, now: datetime) -> EntryOut:
    """An entry for the agent: names, hours (running ones up to now), money."""
    master = deps.master
    running = entry.time_until is None and entry.type == EntryType.TIME
    seconds = entry.duration if entry.duration is not None else 0
    if running:
        seconds = max(0, int((now - entry.time_since).total_seconds()))
    value = None
    if entry.revenue is not None:
        value = Money.of(entry.revenue, deps.currency)
    elif entry.hourly_rate is not None and entry.type == EntryType.TIME and int(entry.billable) > 0:
        value = Money.of(entry.hourly_rate * seconds / 3600, deps.currency)
    return EntryOut(
        id=entry.id,
        type=_TYPE_NAMES.get(entry.type, "time"),
        date=entry.time_since.astimezone(deps.account.timezone).date().isoformat(),
        time_since=entry.time_since,
        time_until=entry.time_until,
        running=running,
        hours=hours(seconds),
        user=master.user_name(entry.users_id),
        users_id=entry.users_id,
        customer=master.customer_name(entry.customers_id),
        customers_id=entry.customers_id,
        project=master.project_name(entry.projects_id) if entry.projects_id else None,
        projects_id=entry.projects_id,
        service=master.service_name(entry.services_id) if entry.services_id else None,
        services_id=entry.services_id,
        billing=BILLING_NAMES.get(int(entry.billable), "unknown"),
        text=entry.text,
        hourly_rate=entry.hourly_rate,
        value=value,
    )


def hours(seconds: float) -> float:
    """Seconds as decimal hours, rounded to two places for display."""
    return round(seconds / 3600.0, 2)


def fmt_money(money: Money) -> str:
    """'1,234.50 EUR'."""
    return f"{money.amount:,.2f} {money.currency}"


MAX_TIMERS_SHOWN = 10  # get_timer lists them all


class TimerOut(BaseModel):
    """A running timer: who, on what, since when, for how long so far."""

    entry_id: int
    user: str
    users_id: int
    project: str | None
    projects_id: int | None
    customer: str
    billing: str = Field(description="unbilled, billed or not_billable: the state the entry would have.")
    since: datetime = Field(description="When the timer started (UTC).")
    elapsed_hours: float


class RunningOut(BaseModel):
    """Running timers in the report's period and filters. Their time is in no total: it is not finished work."""

    count: int
    elapsed_hours: float = Field(description="Time run so far by all of them together.")
    timers: list[TimerOut] = Field(description=f"The longest-running first, at most {MAX_TIMERS_SHOWN}.")
    note: str | None = Field(
        description=f"Says that totals cover completed entries only. Timers started more than {LOOKBACK_DAYS} days "
        "ago are not found."
    )


def completed_note(count: int) -> str | None:
    """The sentence every report with running timers carries."""
    if not count:
        return None
    return f"Totals cover completed entries only; {count} running timer(s) are shown apart."


def running_out(deps: WriteDeps, entries: Sequence[Entry]) -> RunningOut:
    """The running timers of a report, for the agent."""
    now = deps.now()
    master = deps.master
    ordered = sorted(entries, key=lambda e: (e.time_since, e.id))
    timers = [
        TimerOut(
            entry_id=e.id,
            user=master.user_name(e.users_id),
            users_id=e.users_id,
            project=master.project_name(e.projects_id) if e.projects_id else None,
            projects_id=e.projects_id,
            customer=master.customer_name(e.customers_id),
            billing=BILLING_NAMES.get(int(e.billable), "unknown"),
            since=e.time_since,
            elapsed_hours=hours(elapsed_seconds(e, now)),
        )
        for e in ordered[:MAX_TIMERS_SHOWN]
    ]
    total = sum(elapsed_seconds(e, now) for e in ordered)
    return RunningOut(count=len(ordered), elapsed_hours=hours(total), timers=timers, note=completed_note(len(ordered)))
