"""Output building blocks shared by every tool: the base with a summary, paging, periods (money and hours are the
domain's, `domain/views.py`)."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from clockodo_mcp.domain.periods import Period
from clockodo_mcp.domain.views import Money as Money
from clockodo_mcp.domain.views import fmt_money as fmt_money
from clockodo_mcp.domain.views import hours as hours


class Compact(BaseModel):
    """An output model that leaves out optional fields that are None: absent means null, and it saves tokens.

    Only fields with a default are dropped, so the dump still validates against the published output schema.
    """

    @model_serializer(mode="wrap")
    def _drop_unset_nones(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name, field in type(self).model_fields.items():
                key = (field.serialization_alias or field.alias or name) if info.by_alias else name
                if not field.is_required() and key in data and data[key] is None:
                    del data[key]
        return data


class ToolOutput(BaseModel):
    """Every tool result: a one-paragraph `summary` for people plus structured fields for follow-up calls."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(description="A short human-readable summary of the result.")
    _audit_status: str = PrivateAttr(default="ok")
    _audit_change: dict[str, Any] | None = PrivateAttr(default=None)
    _audit_count: int | None = PrivateAttr(default=None)

    def audited_as(self, status: str, *, change: dict[str, Any] | None = None, count: int | None = None) -> Self:
        """Mark how the audit outcome record should describe this result."""
        self._audit_status = status
        self._audit_change = change
        self._audit_count = count
        return self

    @property
    def audit_status(self) -> str:
        """'ok' or 'preview'."""
        return self._audit_status

    @property
    def audit_change(self) -> dict[str, Any] | None:
        """For applied writes: change_id, before/after and the Clockodo ids touched."""
        return self._audit_change

    @property
    def audit_count(self) -> int | None:
        """How many records the call returned or touched."""
        return self._audit_count


class Paging(BaseModel):
    """Where a page sits in the whole list."""

    total: int = Field(description="Matching rows over all pages.")
    offset: int
    returned: int
    next: dict[str, int] | None = Field(
        description='Null on the last page; else call again with the same arguments plus these, e.g. {"offset": 20}.'
    )

    def sentence(self) -> str:
        """' Showing 1–20 of 73; next: offset 20.' for a summary (empty when everything is shown)."""
        if self.offset == 0 and self.next is None:
            return ""
        if not self.returned:
            return f" Nothing from offset {self.offset} (of {self.total})."
        hint = f"; next: offset {self.next['offset']}" if self.next else ""
        return f" Showing {self.offset + 1}–{self.offset + self.returned} of {self.total}{hint}."


class ListOutput(ToolOutput, Compact):
    """A tool result whose main list is paged: `rows_field` names it, `paging` says where it sits."""

    rows_field: ClassVar[str]
    paging: Paging


class PeriodOut(BaseModel):
    """The period a result covers, as resolved in the account time zone."""

    label: str = Field(description="What was asked, e.g. 'this_month'.")
    start: date = Field(description="First day, inclusive.")
    end: date = Field(description="Last day, inclusive.")
    timezone: str

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        """From a resolved domain period."""
        return cls(label=period.label, start=period.start, end=period.end, timezone=str(period.tz))
