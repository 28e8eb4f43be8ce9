"""Work times in the mirror: every active co-worker's intervals as Clockodo lists them, read as plain JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from clockodo_mcp.clockodo import ClockodoClient
from clockodo_mcp.clockodo.errors import ClockodoUnexpectedResponseError
from clockodo_mcp.sync import SyncOptions, open_target, sync_once
from clockodo_mcp.sync.engine import work_time_rows
from tests.sync.conftest import Fake, clockodo_get
from tests.sync.mirror import duckdb_query

Interval = tuple[int, str, int, str, str | None]


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_work_times_equal_clockodos_for_every_active_co_worker(
    client: ClockodoClient, fake: Fake, tmp_path: Path
) -> None:
    path = tmp_path / "mirror.duckdb"
    await sync_once(client, open_target(f"duckdb://{path.as_posix()}"), fake.clock, SyncOptions())

    expected: set[Interval] = set()
    for user in clockodo_get(fake.base_url, "/v3/users")["data"]:
        if not user["active"]:
            continue
        params = {"date_since": "2026-09-01", "date_until": "2026-11-24", "users_id": user["id"]}
        for day in clockodo_get(fake.base_url, "/v2/workTimes", params)["work_time_days"]:
            for interval in day["intervals"]:
                expected.add(
                    (day["users_id"], day["date"], day["offset"], interval["time_since"], interval["time_until"])
                )
    rows = duckdb_query(path, "SELECT users_id, date, day_offset, time_since, time_until FROM work_times")
    mirrored = {(u, d.isoformat(), offset, _utc(since), _utc(until)) for u, d, offset, since, until in rows}
    assert expected
    assert mirrored == expected
    assert len(rows) == len(expected)


def test_a_work_time_day_in_another_shape_gives_the_same_rows() -> None:
    usual = {
        "date": "2026-11-24",
        "users_id": 5,
        "offset": 0,
        "intervals": [
            {"time_since": "2026-11-24T08:00:00Z", "time_until": "2026-11-24T12:00:00Z"},
            {"time_since": "2026-11-24T13:00:00Z", "time_until": None},
        ],
    }
    # Legacy timestamps, an offset, a string id, no offset: what the validating model accepts, normalised.
    other = {
        "date": "2026-11-24",
        "users_id": "5",
        "intervals": [
            {"time_since": "2026-11-24 08:00:00", "time_until": "2026-11-24T13:00:00+01:00"},
            {"time_since": "2026-11-24T13:00:00.000Z"},
        ],
    }
    rows = [
        {"users_id": 5, "date": "2026-11-24", "offset": 0, "time_since": "2026-11-24T08:00:00Z", "time_until": u}
        for u in ("2026-11-24T12:00:00Z", None)
    ]
    rows[1]["time_since"] = "2026-11-24T13:00:00Z"
    assert work_time_rows(usual) == rows
    assert work_time_rows(other) == rows


@pytest.mark.parametrize(
    "day",
    [
        {"date": "2026-02-30", "users_id": 5, "intervals": []},
        {"date": "2026-11-24", "users_id": 5, "intervals": [{"time_since": "2026-11-24T25:00:00Z"}]},
        {"date": "2026-11-24", "users_id": 5, "offset": None, "intervals": []},
        {"date": "2026-11-24", "intervals": []},
        [],
    ],
)
def test_a_malformed_work_time_day_is_refused(day: object) -> None:
    with pytest.raises(ClockodoUnexpectedResponseError):
        work_time_rows(day)
