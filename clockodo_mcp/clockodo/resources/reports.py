"""Reports and time accounts: user reports, target hours, holiday quotas, nonbusiness days, work times."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence

from ..encoding import check_id, check_optional_id
from ..errors import ClockodoArgumentError
from ..models.base import Page
from ..models.reports import HolidaysQuota, NonbusinessDay, TargetHoursRow, UserReport, WorkTimeDay
from ..paging import iterate_pages
from .base import Resource, check_page_args, field, parse, parse_list, parse_page


def _year(name: str, value: object, low: int = 1910, high: int = 2100) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ClockodoArgumentError(name, f"must be a year between {low} and {high}, got {value!r}")
    return value


def _report_type(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4:
        raise ClockodoArgumentError(
            "type", f"must be 0 (year), 1 (+months), 2 (+weeks), 3 (+days) or 4 (+work times), got {value!r}"
        )
    return value


def _one_or_many_ids(name: str, value: int | Sequence[int] | None) -> int | list[int] | None:
    if value is None:
        return None
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [check_id(f"{name}[]", item) for item in value]
    return check_id(name, value)


def _date(name: str, value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ClockodoArgumentError(name, f"must be a date (YYYY-MM-DD), got {value!r}")
    return value


class UserReportsResource(Resource):
    """`/userreports`: worked vs target hours, overtime and absences per user and year (seconds)."""

    async def list(self, year: int, type: int = 0) -> list[UserReport]:
        """Reports of every visible user for `year`, detailed down to months/weeks/days by `type`."""
        params = {"year": _year("year", year), "type": _report_type(type)}
        body = await self._client.request("GET", "/userreports", params=params)
        return parse_list(UserReport, field(body, "userreports", "GET /userreports"), "GET /userreports")

    async def get(self, users_id: int, year: int, type: int = 0) -> UserReport:
        """One user's report for `year`."""
        check_id("users_id", users_id)
        params = {"year": _year("year", year), "type": _report_type(type)}
        where = f"GET /userreports/{users_id}"
        body = await self._client.request("GET", f"/userreports/{users_id}", params=params)
        return parse(UserReport, field(body, "userreport", where), where)


class TargetHoursResource(Resource):
    """`/targethours`: planned working hours per user over time."""

    async def list(self, users_id: int | Sequence[int] | None = None) -> list[TargetHoursRow]:
        """Target-hour rows, optionally for one or several users."""
        params = {"users_id": _one_or_many_ids("users_id", users_id)}
        body = await self._client.request("GET", "/targethours", params=params)
        return parse_list(TargetHoursRow, field(body, "targethours", "GET /targethours"), "GET /targethours")


class HolidaysQuotaResource(Resource):
    """`/v2/holidaysQuota`: holiday entitlements."""

    async def list(self, users_id: int | None = None, year: int | None = None) -> list[HolidaysQuota]:
        """Holiday quota rows, optionally for one user and/or one year."""
        params = {
            "users_id": check_optional_id("users_id", users_id),
            "year": None if year is None else _year("year", year, 2000, 2037),
        }
        body = await self._client.request("GET", "/v2/holidaysQuota", params=params)
        where = "GET /v2/holidaysQuota"
        return parse_list(HolidaysQuota, field(body, "data", where), where)


class NonbusinessDaysResource(Resource):
    """`/v2/nonbusinessDays`: public holidays and other nonbusiness days."""

    async def list(self, year: int, nonbusiness_group_id: int | Sequence[int] | None = None) -> list[NonbusinessDay]:
        """Nonbusiness days evaluated for `year`, optionally of some nonbusiness groups only."""
        params = {
            "year": _year("year", year, 2000, 2100),
            "nonbusiness_group_id": _one_or_many_ids("nonbusiness_group_id", nonbusiness_group_id),
        }
        body = await self._client.request("GET", "/v2/nonbusinessDays", params=params)
        where = "GET /v2/nonbusinessDays"
        return parse_list(NonbusinessDay, field(body, "data", where), where)


class WorkTimesResource(Resource):
    """`/v2/workTimes`: attendance intervals per user and day (paged)."""

    def _params(self, date_since: dt.date, date_until: dt.date, users_id: int | None, page: int) -> dict[str, object]:
        since = _date("date_since", date_since)
        until = _date("date_until", date_until)
        if until < since:
            raise ClockodoArgumentError("date_until", f"({until}) lies before date_since ({since})")
        check_page_args(page, None, 1)
        return {
            "date_since": since,
            "date_until": until,
            "users_id": check_optional_id("users_id", users_id),
            "page": page,
        }

    async def page(
        self, date_since: dt.date, date_until: dt.date, users_id: int | None = None, page: int = 1
    ) -> Page[WorkTimeDay]:
        """One page of work-time days."""
        params = self._params(date_since, date_until, users_id, page)
        body = await self._client.request("GET", "/v2/workTimes", params=params)
        return parse_page(WorkTimeDay, body, "work_time_days", "GET /v2/workTimes")

    def iter(self, date_since: dt.date, date_until: dt.date, users_id: int | None = None) -> AsyncIterator[WorkTimeDay]:
        """Every work-time day in the range."""
        self._params(date_since, date_until, users_id, 1)

        async def fetch(number: int) -> Page[WorkTimeDay]:
            return await self.page(date_since, date_until, users_id, page=number)

        return iterate_pages(fetch, concurrency=self._client.page_concurrency)
