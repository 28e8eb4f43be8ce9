"""`/v2/clock`: the stopwatch — read, start, stop, change duration."""

from __future__ import annotations

import datetime as dt

from ..encoding import check_id, check_optional_id, coerce_enum, require_aware
from ..errors import ClockodoArgumentError
from ..models.entries import ClockDurationChange, ClockStartStop, ClockState
from ..models.enums import Billable
from .base import Resource, parse

PATH = "/v2/clock"


def _duration(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ClockodoArgumentError(name, f"must be a whole number of seconds ≥ 0, got {value!r}")
    return value


class ClockResource(Resource):
    """The running clock of the API user (or, with rights, of another user)."""

    async def get(self, users_id: int | None = None) -> ClockState:
        """The running entry (if any), the last stopped entry and Clockodo's current time."""
        params = {"users_id": check_optional_id("users_id", users_id)}
        body = await self._client.request("GET", PATH, params=params)
        return parse(ClockState, body, f"GET {PATH}")

    async def start(
        self,
        customers_id: int,
        services_id: int,
        *,
        projects_id: int | None = None,
        subprojects_id: int | None = None,
        billable: Billable | int | None = None,
        text: str | None = None,
        users_id: int | None = None,
        time_since: dt.datetime | None = None,
    ) -> ClockStartStop:
        """Start the clock; a clock already running for that user is stopped and returned in `stopped`."""
        body: dict[str, object] = {
            "customers_id": check_id("customers_id", customers_id),
            "services_id": check_id("services_id", services_id),
        }
        optional_ids = {"projects_id": projects_id, "subprojects_id": subprojects_id, "users_id": users_id}
        for name, value in optional_ids.items():
            if value is not None:
                body[name] = check_id(name, value)
        if billable is not None:
            chosen = coerce_enum("billable", Billable, billable)
            if chosen == Billable.BILLED:
                raise ClockodoArgumentError("billable", "a clock starts as 0 (not billable) or 1 (billable)")
            body["billable"] = chosen
        if text is not None:
            if len(text) > 1000:
                raise ClockodoArgumentError("text", "must be at most 1000 characters")
            body["text"] = text
        if time_since is not None:
            body["time_since"] = require_aware("time_since", time_since)
        # POST is never retried: a lost answer might hide a clock that did start.
        answer = await self._client.request("POST", PATH, json_body=body)
        return parse(ClockStartStop, answer, f"POST {PATH}")

    async def stop(
        self,
        entry_id: int,
        *,
        users_id: int | None = None,
        time_until: dt.datetime | None = None,
    ) -> ClockStartStop:
        """Stop the running entry `entry_id` (now, or at `time_until`)."""
        check_id("entry_id", entry_id)
        params: dict[str, object] = {"users_id": check_optional_id("users_id", users_id)}
        if time_until is not None:
            params["time_until"] = require_aware("time_until", time_until)
        # Stopping "now" is not idempotent in effect (a replay could stop a newer clock): no retry.
        answer = await self._client.request("DELETE", f"{PATH}/{entry_id}", params=params, retry=False)
        return parse(ClockStartStop, answer, f"DELETE {PATH}/{entry_id}")

    async def change_duration(
        self,
        entry_id: int,
        duration: int,
        duration_before: int,
        time_since: dt.datetime | None = None,
    ) -> ClockDurationChange:
        """Change a clocked entry's duration; `duration_before` guards against concurrent changes."""
        check_id("entry_id", entry_id)
        body: dict[str, object] = {
            "duration": _duration("duration", duration),
            "duration_before": _duration("duration_before", duration_before),
        }
        if time_since is not None:
            body["time_since"] = require_aware("time_since", time_since)
        answer = await self._client.request("PUT", f"{PATH}/{entry_id}", json_body=body)
        return parse(ClockDurationChange, answer, f"PUT {PATH}/{entry_id}")
