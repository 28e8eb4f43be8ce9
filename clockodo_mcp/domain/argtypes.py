"""The argument types every tool shares: each parameter is range-checked before a tool body or a plan sees it.

The forms of a period, of a name and of the two-step confirmation are explained once, in the server instructions:
repeating them in every field cost more than a thousand tokens of every tools/list.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from clockodo_mcp.domain.periods import FIRST_DAY, LAST_DAY, DateRange

MAX_ID = 2**63 - 1  # Clockodo's ids are int64 (OpenAPI spec)
MAX_MONEY = 99_999_999.99  # rates and budgets: what a DECIMAL(10,2) holds
MAX_ENTRY_HOURS = 24  # Clockodo cuts an entry (and a timer) at 24 h


def plain_text(value: str) -> str:
    """Refuse what no name or text contains and what breaks the HTTP request or the log: NUL, lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it contains an unpaired surrogate)") from None
    return value


def cents(value: float) -> float:
    """Money has at most two decimals."""
    exponent = Decimal(repr(value)).as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(f"must have at most 2 decimals (got {value!r})")
    return value


def clockodo_day(value: date) -> date:
    """A day within the years Clockodo accepts."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(
            f"must be a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()} (got {value.isoformat()})"
        )
    return value


NameText = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(plain_text)]
SearchText = Annotated[str, StringConstraints(max_length=200), AfterValidator(plain_text)]
TextArg = Annotated[str, StringConstraints(max_length=1000), AfterValidator(plain_text)]  # Clockodo's text limit
TokenText = Annotated[str, StringConstraints(max_length=1000)]
IdArg = Annotated[int, Field(ge=1, le=MAX_ID)]
MoneyArg = Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False), AfterValidator(cents)]
AmountArg = Annotated[float, Field(gt=0, le=MAX_MONEY, allow_inf_nan=False), AfterValidator(cents)]
HoursArg = Annotated[float, Field(gt=0, le=MAX_ENTRY_HOURS, allow_inf_nan=False)]
DayArg = Annotated[date, AfterValidator(clockodo_day)]
ShortText = Annotated[str, StringConstraints(max_length=64)]  # periods, days, times, durations

PeriodArg = Annotated[
    ShortText | DateRange, Field(description="E.g. this_month, last_30_days, '2026-11' (see instructions).")
]
NameValue = NameText | IdArg
NameArg = Annotated[NameValue | None, Field()]  # a name or an id (see instructions)
ConfirmArg = Annotated[
    TokenText | None, Field(description="Omit to preview; then repeat the call with the preview's token.")
]
