"""What every tool does first: find the runtime, the account, the master data; resolve periods and names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AfterValidator, Field, StringConstraints

from clockodo_mcp.domain.hours import Scope
from clockodo_mcp.domain.masterdata import MasterData
from clockodo_mcp.domain.periods import FIRST_DAY, LAST_DAY, DateRange, Period, parse_period
from clockodo_mcp.domain.running import Timers, TimerSource, find_timers
from clockodo_mcp.domain.tasks import gather
from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.models import Paging
from clockodo_mcp.server.runtime import Account, Runtime

# The forms of a period, of a name and of the two-step confirmation are explained once, in the server instructions
# (server/app.py): repeating them in every field cost more than a thousand tokens of every tools/list.
# -- argument types: every parameter is range-checked before a tool body sees it -------------------------------

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


@dataclass(frozen=True, slots=True)
class ToolContext:
    """The runtime, the account and the master data, fetched once per call."""

    runtime: Runtime
    account: Account
    master: MasterData
    _timers: dict[str, Timers] = field(default_factory=dict, compare=False, repr=False)
    _timers_lock: anyio.Lock = field(default_factory=anyio.Lock, compare=False, repr=False)

    async def timers(self, scope: Scope | None = None) -> Timers:
        """The running timers (what the caller may see, within `scope`), looked up once per call and scope."""
        flt = scope.entry_filter("all") if scope is not None and scope != Scope() else None
        key = flt.model_dump_json() if flt is not None else ""
        async with self._timers_lock:
            if key not in self._timers:
                self._timers[key] = await find_timers(
                    self.runtime.client, self.runtime.now(), scope=flt, hints=self.runtime.timer_hints
                )
            return self._timers[key]

    def timer_source(self, scope: Scope | None = None) -> TimerSource:
        """`timers` for one scope, as the domain's reports take it."""

        async def source() -> Timers:
            return await self.timers(scope)

        return source

    @property
    def currency(self) -> str:
        """The account currency."""
        return self.account.currency

    def period(self, value: str | DateRange | dict[str, Any]) -> Period:
        """Resolve a period argument in the account time zone."""
        return parse_period(
            value,
            tz=self.account.timezone,
            now=self.runtime.now(),
            week_starts_monday=self.account.week_starts_monday,
        )

    def scope(
        self,
        *,
        customer: str | int | None = None,
        project: str | int | None = None,
        user: str | int | None = None,
        team: str | int | None = None,
        service: str | int | None = None,
    ) -> Scope:
        """Resolve names to ids (raises NoMatch / Ambiguous)."""
        return Scope(
            customer_id=self.master.resolve("customer", customer).id if customer is not None else None,
            project_id=self.master.resolve("project", project).id if project is not None else None,
            user_id=self.master.resolve("user", user).id if user is not None else None,
            team_id=self.master.resolve("team", team).id if team is not None else None,
            service_id=self.master.resolve("service", service).id if service is not None else None,
        )

    def describe_scope(self, scope: Scope) -> str:
        """'for project Phoenix, user Sarah Chen' (empty when unfiltered)."""
        parts = []
        if scope.customer_id is not None:
            parts.append(f"customer {self.master.customer_name(scope.customer_id)}")
        if scope.project_id is not None:
            parts.append(f"project {self.master.project_name(scope.project_id)}")
        if scope.user_id is not None:
            parts.append(f"user {self.master.user_name(scope.user_id)}")
        if scope.team_id is not None:
            parts.append(f"team {self.master.team_name(scope.team_id)}")
        if scope.service_id is not None:
            parts.append(f"service {self.master.service_name(scope.service_id)}")
        return (" for " + ", ".join(parts)) if parts else ""


async def tool_context(ctx: Context[Any, Any]) -> ToolContext:
    """Runtime, account and (cached) master data for a tool call."""
    return await runtime_context(runtime_of(ctx))


async def runtime_context(runtime: Runtime) -> ToolContext:
    """Runtime, account and (cached) master data, without a call (reconciling changes on start)."""
    # Independent: on a cold start both load in the same round trip.
    loaded: dict[str, Any] = {}

    async def account() -> None:
        loaded["account"] = await runtime.account()

    async def master() -> None:
        loaded["master"] = await runtime.master()

    await gather(account, master)
    return ToolContext(runtime=runtime, account=loaded["account"], master=loaded["master"])


T = TypeVar("T")

# Paging: every list tool takes `offset` and `limit` and answers with `paging` (models.Paging). `limit` has a
# per-tool default that keeps a default answer small and a hard cap that keeps any answer under the client's
# size limit (server/bounds.py is the last resort behind the caps).
OffsetArg = Annotated[int, Field(ge=0, le=1_000_000)]


def limit_field(cap: int) -> Any:
    """The `limit` argument's constraints: 1 to the tool's hard cap."""
    return Field(ge=1, le=cap)


def paging_of(total: int, offset: int, returned: int) -> Paging:
    """Where a page of `returned` rows from `offset` sits in `total`, with the exact next-page hint."""
    if offset and offset >= total:
        raise ToolError(
            f"offset {offset} is past the end: there are {total} matching row(s)"
            + (f"; use an offset below {total} (the first page is offset 0)." if total else "; use offset 0.")
        )
    end = offset + returned
    return Paging(total=total, offset=offset, returned=returned, next={"offset": end} if end < total else None)


def page_of(items: Sequence[T], offset: int, limit: int) -> tuple[list[T], Paging]:
    """The rows from `offset` (at most `limit`) and their paging; an offset past the end is an error."""
    shown = list(items[offset : offset + limit])
    return shown, paging_of(len(items), offset, len(shown))


WORKER_NOTE = (
    "Signed in as a worker: these figures cover your own entries and absences only, and Clockodo hides rates and "
    "money from workers, so values read 0.00. Ask an owner for the company-wide view."
)


def visibility_note(tc: ToolContext) -> str | None:
    """A warning when the API user is not an owner: Clockodo silently narrows what a worker sees."""
    return None if tc.account.is_owner else WORKER_NOTE


def with_note(summary: str, note: str | None) -> str:
    """The summary, followed by the visibility note when there is one."""
    return f"{summary} Note: {note}" if note else summary
