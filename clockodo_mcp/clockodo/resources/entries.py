"""`/v2/entries`: list (paged), get, create, update, delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from ..encoding import check_id, check_window
from ..errors import ClockodoArgumentError
from ..models.base import Page
from ..models.entries import Entry
from ..models.requests import (
    EntryFilter,
    EntryUpdate,
    NewEntry,
    NewLumpSumServiceEntry,
    NewLumpSumValueEntry,
    NewTimeEntry,
)
from ..paging import iterate_pages
from .base import Resource, check_page_args, field, parse, parse_page

PATH = "/v2/entries"
MAX_ITEMS_PER_PAGE = 1000


def entry_filter_query(filter: EntryFilter | None, *, allow_teams: bool, allow_billable_12: bool) -> dict[str, object]:
    """The `filter[...]` mapping for entries or entry groups, refusing what the endpoint does not support."""
    if filter is None:
        return {}
    if not isinstance(filter, EntryFilter):
        raise ClockodoArgumentError("filter", f"must be an EntryFilter, got {type(filter).__name__}")
    query = filter.to_query()
    if not allow_teams and "teams_id" in query:
        raise ClockodoArgumentError("filter.teams_id", "/v2/entries cannot filter by team; use users_id")
    if not allow_billable_12 and query.get("billable") == 12:
        raise ClockodoArgumentError(
            "filter.billable", "12 (billable or billed) is accepted by entries only; use 1 or 2 here"
        )
    return query


class EntriesResource(Resource):
    """Time and lump-sum entries."""

    def _list_params(
        self,
        time_since: dt.datetime,
        time_until: dt.datetime,
        filter: EntryFilter | None,
        enhanced_list: bool,
        calc_also_revenues_for_projects_with_hard_budget: bool,
        page: int,
        items_per_page: int | None,
    ) -> dict[str, object]:
        check_window(time_since, time_until)
        check_page_args(page, items_per_page, MAX_ITEMS_PER_PAGE)
        params: dict[str, object] = {"time_since": time_since, "time_until": time_until}
        query = entry_filter_query(filter, allow_teams=False, allow_billable_12=True)
        if query:
            params["filter"] = query
        if enhanced_list:
            params["enhanced_list"] = True
        if calc_also_revenues_for_projects_with_hard_budget:
            params["calc_also_revenues_for_projects_with_hard_budget"] = True
        params["page"] = page
        if items_per_page is not None:
            params["items_per_page"] = items_per_page
        return params

    async def page(
        self,
        time_since: dt.datetime,
        time_until: dt.datetime,
        filter: EntryFilter | None = None,
        enhanced_list: bool = False,
        calc_also_revenues_for_projects_with_hard_budget: bool = False,
        items_per_page: int | None = None,
        page: int = 1,
    ) -> Page[Entry]:
        """One page of entries in the window."""
        params = self._list_params(
            time_since,
            time_until,
            filter,
            enhanced_list,
            calc_also_revenues_for_projects_with_hard_budget,
            page,
            items_per_page,
        )
        body = await self._client.request("GET", PATH, params=params)
        return parse_page(Entry, body, "entries", f"GET {PATH}")

    def iter(
        self,
        time_since: dt.datetime,
        time_until: dt.datetime,
        filter: EntryFilter | None = None,
        enhanced_list: bool = False,
        calc_also_revenues_for_projects_with_hard_budget: bool = False,
        items_per_page: int | None = None,
    ) -> AsyncIterator[Entry]:
        """Every entry in the window, streamed page by page (pages after the first fetched concurrently)."""
        # Validate now, not at the first `async for` step, so bad arguments fail where they are passed.
        self._list_params(
            time_since,
            time_until,
            filter,
            enhanced_list,
            calc_also_revenues_for_projects_with_hard_budget,
            1,
            items_per_page,
        )

        async def fetch(number: int) -> Page[Entry]:
            return await self.page(
                time_since,
                time_until,
                filter,
                enhanced_list,
                calc_also_revenues_for_projects_with_hard_budget,
                items_per_page,
                page=number,
            )

        return iterate_pages(fetch, concurrency=self._client.page_concurrency)

    async def get(self, id: int) -> Entry:
        """One entry by id."""
        check_id("id", id)
        body = await self._client.request("GET", f"{PATH}/{id}")
        return parse(Entry, field(body, "entry", f"GET {PATH}/{id}"), f"GET {PATH}/{id}")

    async def create(self, entry: NewEntry) -> Entry:
        """Create a time entry, a lump-sum value entry or a lump-sum service entry."""
        if not isinstance(entry, NewTimeEntry | NewLumpSumValueEntry | NewLumpSumServiceEntry):
            raise ClockodoArgumentError(
                "entry", "must be a NewTimeEntry, NewLumpSumValueEntry or NewLumpSumServiceEntry"
            )
        body = await self._client.request("POST", PATH, json_body=entry.to_body())
        return parse(Entry, field(body, "entry", f"POST {PATH}"), f"POST {PATH}")

    async def update(self, id: int, changes: EntryUpdate) -> Entry:
        """Change the given fields of an entry (a partial update: unset fields are not sent)."""
        check_id("id", id)
        if not isinstance(changes, EntryUpdate):
            raise ClockodoArgumentError("changes", "must be an EntryUpdate")
        where = f"PUT {PATH}/{id}"
        body = await self._client.request("PUT", f"{PATH}/{id}", json_body=changes.to_body())
        return parse(Entry, field(body, "entry", where), where)

    async def delete(self, id: int) -> None:
        """Delete an entry."""
        check_id("id", id)
        await self._client.request("DELETE", f"{PATH}/{id}")
