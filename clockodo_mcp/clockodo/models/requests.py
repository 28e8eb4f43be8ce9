"""Typed request parameters: entry filters, new entries, partial entry updates, mass-edit changes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from .base import format_utc
from .enums import Billable, BillableFilter, BudgetOption

RequestDatetime = Annotated[
    AwareDatetime,
    AfterValidator(lambda value: value.astimezone(dt.UTC)),
    PlainSerializer(format_utc, when_used="json"),
]
"""A timezone-aware datetime (naive ones are refused), sent to Clockodo as `YYYY-MM-DDTHH:MM:SSZ`."""

Id = Annotated[int, Field(gt=0)]
Money = Annotated[float, Field(ge=0, le=99_999_999.99)]


class RequestModel(BaseModel):
    """Base of request models: unknown fields are refused so typos surface before a request is sent."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    def to_body(self) -> dict[str, Any]:
        """The JSON body with only the fields that were set."""
        return self.model_dump(mode="json", exclude_unset=True)


def _no_billed_on_create(value: Billable) -> Billable:
    if value == Billable.BILLED:
        raise ValueError("entries are created as 0 (not billable) or 1 (billable); mark them billed afterwards")
    return value


CreateBillable = Annotated[Billable, AfterValidator(_no_billed_on_create)]


class EntryFilter(RequestModel):
    """Filters for `/v2/entries` and `/v2/entrygroups` (sent as `filter[name]=value`)."""

    users_id: Id | None = None
    teams_id: Id | None = None
    customers_id: Id | None = None
    projects_id: Id | None = None
    subprojects_id: Id | None = None
    services_id: Id | None = None
    lumpsum_services_id: Id | None = None
    billable: BillableFilter | None = None
    text: str | None = None
    texts_id: Id | None = None
    budget_type: BudgetOption | None = None

    def to_query(self) -> dict[str, object]:
        """The filter as a mapping of set values (encoded later as `filter[...]`)."""
        return self.model_dump(exclude_none=True)


class _NewEntryBase(RequestModel):
    customers_id: Id
    billable: CreateBillable
    time_since: RequestDatetime
    projects_id: Id | None = None
    subprojects_id: Id | None = None
    users_id: Id | None = None
    text: str | None = Field(default=None, max_length=1000)


class NewTimeEntry(_NewEntryBase):
    """A finished time entry (running ones are started through the clock)."""

    services_id: Id
    time_until: RequestDatetime
    hourly_rate: Money | None = None
    duration: Annotated[int, Field(ge=0)] | None = None
    clocked_offline: bool | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> NewTimeEntry:
        if self.time_until < self.time_since:
            raise ValueError("time_until lies before time_since")
        return self

    def to_body(self) -> dict[str, Any]:
        """The JSON body; all required fields are always included."""
        return self.model_dump(mode="json", exclude_none=True)


class NewLumpSumValueEntry(_NewEntryBase):
    """A lump-sum value entry: a fixed amount of money booked on a service."""

    services_id: Id
    lumpsum: float

    def to_body(self) -> dict[str, Any]:
        """The JSON body; all required fields are always included."""
        return self.model_dump(mode="json", exclude_none=True)


class NewLumpSumServiceEntry(_NewEntryBase):
    """A lump-sum service entry: a quantity of a priced lump-sum service."""

    lumpsum_services_id: Id
    lumpsum_services_amount: float

    def to_body(self) -> dict[str, Any]:
        """The JSON body; all required fields are always included."""
        return self.model_dump(mode="json", exclude_none=True)


NewEntry = NewTimeEntry | NewLumpSumValueEntry | NewLumpSumServiceEntry


class EntryUpdate(RequestModel):
    """A partial update of an entry: only fields given explicitly are sent (None clears a nullable field)."""

    time_since: RequestDatetime | None = None
    time_until: RequestDatetime | None = None
    customers_id: Id | None = None
    projects_id: Id | None = None
    subprojects_id: Id | None = None
    services_id: Id | None = None
    lumpsum_services_id: Id | None = None
    users_id: Id | None = None
    billable: Billable | None = None
    duration: Annotated[int, Field(ge=0)] | None = None
    lumpsum: float | None = None
    hourly_rate: Money | None = None
    lumpsum_services_amount: float | None = None
    text: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _something_and_ordered(self) -> EntryUpdate:
        if not self.model_fields_set:
            raise ValueError("an entry update must change at least one field")
        if self.time_since and self.time_until and self.time_until < self.time_since:
            raise ValueError("time_until lies before time_since")
        return self


class EntryGroupChanges(RequestModel):
    """New values for every entry selected by an entry-group mass edit (e.g. `billable=Billable.BILLED`)."""

    users_id: Id | None = None
    customers_id: Id | None = None
    projects_id: Id | None = None
    subprojects_id: Id | None = None
    services_id: Id | None = None
    lumpsum_services_id: Id | None = None
    billable: Billable | None = None
    text: str | None = None
    hourly_rate: Money | None = None

    @field_validator("text")
    @classmethod
    def _text_limit(cls, value: str | None) -> str | None:
        if value is not None and len(value) > 1000:
            raise ValueError("text is longer than 1000 characters")
        return value

    @model_validator(mode="after")
    def _something(self) -> EntryGroupChanges:
        if not any(getattr(self, name) is not None for name in self.model_fields_set):
            raise ValueError("a mass edit must change at least one field")
        return self

    def to_body(self) -> dict[str, Any]:
        """The new values that are set."""
        return self.model_dump(mode="json", exclude_none=True)
