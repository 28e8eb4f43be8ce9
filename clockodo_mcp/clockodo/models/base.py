"""Shared model plumbing: the tolerant base model, aware-UTC datetimes, paging."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

T = TypeVar("T")


def _parse_utc(value: object) -> object:
    """Accept Clockodo's `…Z` timestamps, legacy `YYYY-MM-DD HH:MM:SS` (UTC) and aware datetimes."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return value  # let pydantic report the error with the field name
        value = parsed
    if isinstance(value, datetime):
        if value.tzinfo is None:
            # Clockodo stores UTC; a naive timestamp (legacy format) is UTC.
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    return value


def format_utc(value: datetime) -> str:
    """Format an aware datetime as Clockodo expects: `YYYY-MM-DDTHH:MM:SSZ`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


UtcDatetime = Annotated[datetime, BeforeValidator(_parse_utc), PlainSerializer(format_utc, when_used="json")]
"""An aware datetime normalised to UTC; serialised as Clockodo's `YYYY-MM-DDTHH:MM:SSZ`."""


class ClockodoModel(BaseModel):
    """Base of every response model: unknown fields are kept, so new Clockodo fields never break parsing."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Paging(ClockodoModel):
    """Clockodo's paging block."""

    items_per_page: int
    current_page: int
    count_pages: int
    count_items: int


class Page(BaseModel, Generic[T]):
    """One page of a paged list."""

    items: list[T]
    paging: Paging

    @property
    def has_more(self) -> bool:
        """True when pages after this one exist."""
        return self.paging.current_page < self.paging.count_pages


class MassEditPreview(ClockodoModel):
    """The first step of an entry-group mass edit/delete: how many entries, and the key to confirm."""

    confirm_key: str
    affected_entries: int
