"""`/v2/entrygroups`: server-side aggregation and the two-step mass edit / mass delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..encoding import check_window, coerce_enum
from ..errors import ClockodoArgumentError
from ..models.base import MassEditPreview
from ..models.entries import EntryGroup
from ..models.enums import Grouping
from ..models.requests import EntryFilter, EntryGroupChanges
from .base import Resource, field, parse, parse_list, unexpected
from .entries import entry_filter_query

PATH = "/v2/entrygroups"


def _selection(time_since: dt.datetime, time_until: dt.datetime, filter: EntryFilter | None) -> dict[str, object]:
    check_window(time_since, time_until)
    selection: dict[str, object] = {"time_since": time_since, "time_until": time_until}
    query = entry_filter_query(filter, allow_teams=True, allow_billable_12=False)
    if query:
        selection["filter"] = query
    return selection


def _changes_body(changes: EntryGroupChanges) -> dict[str, object]:
    if not isinstance(changes, EntryGroupChanges):
        raise ClockodoArgumentError("changes", "must be an EntryGroupChanges")
    return changes.to_body()


def _preview(body: object, where: str) -> MassEditPreview:
    if isinstance(body, dict) and "confirm_key" not in body and "edited_entries" in body:
        raise unexpected(where, "Clockodo applied the change without asking for confirmation")
    return parse(MassEditPreview, body, where)


def _edited_count(body: object, where: str) -> int:
    if isinstance(body, dict):
        # The spec names it edited_entries; the JS SDK types the delete answer as deleted_entries.
        for key in ("edited_entries", "deleted_entries"):
            value = body.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    raise unexpected(where, f"expected 'edited_entries' in {body!r}")


class EntryGroupsResource(Resource):
    """Aggregated entries and mass changes over a selection of entries."""

    async def get(
        self,
        time_since: dt.datetime,
        time_until: dt.datetime,
        grouping: Sequence[Grouping | str],
        filter: EntryFilter | None = None,
        round_to_minutes: int | None = None,
        calc_also_revenues_for_projects_with_hard_budget: bool = False,
        prepend_customer_to_project_name: bool | None = None,
    ) -> list[EntryGroup]:
        """Durations and revenues in the window, nested by `grouping` (computed by Clockodo in one request)."""
        params = _selection(time_since, time_until, filter)
        if isinstance(grouping, str) or not grouping:
            raise ClockodoArgumentError("grouping", "must be a non-empty list of Grouping values")
        params["grouping"] = [coerce_enum("grouping", Grouping, value) for value in grouping]
        if round_to_minutes is not None:
            if isinstance(round_to_minutes, bool) or not isinstance(round_to_minutes, int) or round_to_minutes < 1:
                raise ClockodoArgumentError("round_to_minutes", f"must be a positive integer, got {round_to_minutes!r}")
            params["round_to_minutes"] = round_to_minutes
        if calc_also_revenues_for_projects_with_hard_budget:
            params["calc_also_revenues_for_projects_with_hard_budget"] = True
        if prepend_customer_to_project_name is not None:
            params["prepend_customer_to_project_name"] = prepend_customer_to_project_name
        body = await self._client.request("GET", PATH, params=params)
        where = f"GET {PATH}"
        return parse_list(EntryGroup, field(body, "groups", where), where)

    async def preview_update(
        self,
        time_since: dt.datetime,
        time_until: dt.datetime,
        changes: EntryGroupChanges,
        filter: EntryFilter | None = None,
    ) -> MassEditPreview:
        """Ask Clockodo how many entries a mass edit would change; nothing changes yet."""
        body = {**_selection(time_since, time_until, filter), **_changes_body(changes)}
        answer = await self._client.request("PUT", PATH, json_body=body)
        return _preview(answer, f"PUT {PATH}")

    async def confirm_update(
        self,
        time_since: dt.datetime,
        time_until: dt.datetime,
        changes: EntryGroupChanges,
        confirm_key: str,
        filter: EntryFilter | None = None,
    ) -> int:
        """Apply a previewed mass edit with its `confirm_key`; returns the number of edited entries."""
        if not isinstance(confirm_key, str) or not confirm_key:
            raise ClockodoArgumentError("confirm_key", "is required; get one from preview_update()")
        body = {**_selection(time_since, time_until, filter), **_changes_body(changes), "confirm_key": confirm_key}
        # Never retried: a lost answer to an applied edit must not be replayed blindly.
        answer = await self._client.request("PUT", PATH, json_body=body, retry=False)
        return _edited_count(answer, f"PUT {PATH}")

    async def preview_delete(
        self,
        time_since: dt.datetime,
        time_until: dt.datetime,
        filter: EntryFilter | None = None,
    ) -> MassEditPreview:
        """Ask Clockodo how many entries a mass delete would remove; nothing is deleted yet."""
        answer = await self._client.request("DELETE", PATH, params=_selection(time_since, time_until, filter))
        return _preview(answer, f"DELETE {PATH}")

    async def confirm_delete(
        self,
        time_since: dt.datetime,
        time_until: dt.datetime,
        confirm_key: str,
        filter: EntryFilter | None = None,
    ) -> int:
        """Delete the previewed entries with their `confirm_key`; returns the number of deleted entries."""
        if not isinstance(confirm_key, str) or not confirm_key:
            raise ClockodoArgumentError("confirm_key", "is required; get one from preview_delete()")
        params = {**_selection(time_since, time_until, filter), "confirm_key": confirm_key}
        answer = await self._client.request("DELETE", PATH, params=params, retry=False)
        return _edited_count(answer, f"DELETE {PATH}")
