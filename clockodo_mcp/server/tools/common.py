"""What every tool does first: find the runtime, the account, the master data; resolve periods and names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from clockodo_mcp.domain.hours import Scope
from clockodo_mcp.domain.masterdata import MasterData
from clockodo_mcp.domain.periods import DateRange, Period, parse_period
from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.models import Paging
from clockodo_mcp.server.runtime import Account, Runtime

# The forms of a period, of a name and of the two-step confirmation are explained once, in the server instructions
# (server/app.py): repeating them in every field cost more than a thousand tokens of every tools/list.
PeriodArg = Annotated[
    str | DateRange, Field(description="E.g. this_month, last_30_days, '2026-11' (see instructions).")
]
NameArg = Annotated[str | int | None, Field()]  # a name or an id (see instructions)
ConfirmArg = Annotated[str | None, Field(description="Omit to preview; then repeat the call with the preview's token.")]


@dataclass(frozen=True, slots=True)
class ToolContext:
    """The runtime, the account and the master data, fetched once per call."""

    runtime: Runtime
    account: Account
    master: MasterData

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
    runtime = runtime_of(ctx)
    account = await runtime.account()
    master = await runtime.master()
    return ToolContext(runtime=runtime, account=account, master=master)


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
    "Signed in as a worker: Clockodo shows a worker only their own entries and absences and no money, so these "
    "figures cover your own data only. Ask an owner for the company-wide view."
)


def visibility_note(tc: ToolContext) -> str | None:
    """A warning when the API user is not an owner: Clockodo silently narrows what a worker sees."""
    return None if tc.account.is_owner else WORKER_NOTE


def with_note(summary: str, note: str | None) -> str:
    """The summary, followed by the visibility note when there is one."""
    return f"{summary} Note: {note}" if note else summary
