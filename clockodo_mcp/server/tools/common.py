"""What every tool does first: find the runtime, the account, the master data; resolve periods and names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from clockodo_mcp.domain.argtypes import (
    MAX_ENTRY_HOURS as MAX_ENTRY_HOURS,
)
from clockodo_mcp.domain.argtypes import (
    MAX_ID as MAX_ID,
)
from clockodo_mcp.domain.argtypes import (
    MAX_MONEY as MAX_MONEY,
)
from clockodo_mcp.domain.argtypes import (
    AmountArg as AmountArg,
)
from clockodo_mcp.domain.argtypes import (
    ConfirmArg as ConfirmArg,
)
from clockodo_mcp.domain.argtypes import (
    DayArg as DayArg,
)
from clockodo_mcp.domain.argtypes import (
    HoursArg as HoursArg,
)
from clockodo_mcp.domain.argtypes import (
    IdArg as IdArg,
)
from clockodo_mcp.domain.argtypes import (
    MoneyArg as MoneyArg,
)
from clockodo_mcp.domain.argtypes import (
    NameArg as NameArg,
)
from clockodo_mcp.domain.argtypes import (
    NameText as NameText,
)
from clockodo_mcp.domain.argtypes import (
    NameValue as NameValue,
)
from clockodo_mcp.domain.argtypes import (
    PeriodArg as PeriodArg,
)
from clockodo_mcp.domain.argtypes import (
    SearchText as SearchText,
)
from clockodo_mcp.domain.argtypes import (
    ShortText as ShortText,
)
from clockodo_mcp.domain.argtypes import (
    TextArg as TextArg,
)
from clockodo_mcp.domain.argtypes import (
    TokenText as TokenText,
)
from clockodo_mcp.domain.argtypes import (
    cents as cents,
)
from clockodo_mcp.domain.argtypes import (
    clockodo_day as clockodo_day,
)
from clockodo_mcp.domain.argtypes import (
    plain_text as plain_text,
)
from clockodo_mcp.domain.hours import Scope
from clockodo_mcp.domain.running import Timers, TimerSource, find_timers
from clockodo_mcp.domain.tasks import gather
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.models import Paging
from clockodo_mcp.server.principal import current_name
from clockodo_mcp.server.runtime import Runtime

# The forms of a period, of a name and of the two-step confirmation are explained once, in the server instructions
# (server/app.py): repeating them in every field cost more than a thousand tokens of every tools/list.
# -- argument types: every parameter is range-checked before a tool body sees it -------------------------------


@dataclass(frozen=True, slots=True)
class ToolContext(WriteDeps):
    """The runtime, the account and the master data, fetched once per call; the write plans' dependencies too."""

    runtime: Runtime = field(kw_only=True)
    _timers: dict[str, Timers] = field(default_factory=dict, compare=False, repr=False)
    _timers_lock: anyio.Lock = field(default_factory=anyio.Lock, compare=False, repr=False)

    async def timers(self, scope: Scope | None = None) -> Timers:
        """The running timers (what the caller may see, within `scope`), looked up once per call and scope."""
        flt = scope.entry_filter("all") if scope is not None and scope != Scope() else None
        key = flt.model_dump_json() if flt is not None else ""
        async with self._timers_lock:
            if key not in self._timers:
                self._timers[key] = await find_timers(
                    self.client, self.now(), scope=flt, hints=self.runtime.timer_hints
                )
            return self._timers[key]

    def timer_source(self, scope: Scope | None = None) -> TimerSource:
        """`timers` for one scope, as the domain's reports take it."""

        async def source() -> Timers:
            return await self.timers(scope)

        return source


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
    return ToolContext(
        client=runtime.client,
        master=loaded["master"],
        account=loaded["account"],
        clock=runtime.clock,
        journal=runtime.store,
        principal=current_name(),
        runtime=runtime,
    )


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
