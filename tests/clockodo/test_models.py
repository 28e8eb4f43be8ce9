"""Model parsing: unknown fields, aware-UTC datetimes and time-zone round trips, query/JSON encoding."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from zoneinfo import ZoneInfo

import pytest

from clockodo_mcp.clockodo import (
    Billable,
    ClockodoArgumentError,
    Entry,
    EntryGroup,
    EntryType,
    Grouping,
    NewTimeEntry,
    Project,
)
from clockodo_mcp.clockodo.encoding import check_id, coerce_enum, encode_json, encode_query, require_aware

from .conftest import entry_json


def test_unknown_fields_are_kept() -> None:
    project = Project.model_validate(
        {"id": 1, "customers_id": 2, "name": "P", "shiny_new_flag": True, "budget": {"amount": 5, "new_key": 1}}
    )
    assert project.model_extra == {"shiny_new_flag": True}
    assert project.budget is not None
    assert project.budget.model_extra == {"new_key": 1}


@pytest.mark.parametrize(
    "raw",
    ["2024-03-04T08:00:00Z", "2024-03-04T09:00:00+01:00", "2024-03-04 08:00:00", "2024-03-04T08:00:00.000Z"],
)
def test_timestamps_become_aware_utc(raw: str) -> None:
    entry = Entry.model_validate(entry_json(time_since=raw))
    assert entry.time_since == dt.datetime(2024, 3, 4, 8, tzinfo=dt.UTC)
    assert entry.time_since.tzinfo is dt.UTC


def test_a_garbled_timestamp_fails_validation() -> None:
    with pytest.raises(ValueError, match="time_since"):
        Entry.model_validate(entry_json(time_since="yesterday"))


def test_entries_serialise_back_to_clockodo_format() -> None:
    entry = Entry.model_validate(entry_json())
    dumped = entry.model_dump(mode="json")
    assert dumped["time_since"] == "2024-03-04T08:00:00Z"
    assert dumped["type"] == 1
    assert Entry.model_validate(dumped) == entry


def test_time_zone_round_trip_through_a_request_model() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    local_start = dt.datetime(2024, 10, 27, 1, 30, tzinfo=berlin)  # the night the clocks go back
    new = NewTimeEntry(
        customers_id=1,
        services_id=2,
        billable=Billable.NOT_BILLABLE,
        time_since=local_start,
        time_until=local_start + dt.timedelta(hours=3),
    )
    body = new.to_body()
    assert body["time_since"] == "2024-10-26T23:30:00Z"
    parsed = Entry.model_validate(entry_json(time_since=body["time_since"], time_until=body["time_until"]))
    assert parsed.time_since.astimezone(berlin) == local_start


def test_nested_entry_groups_parse() -> None:
    group = EntryGroup.model_validate(
        {
            "grouped_by": "year",
            "group": "2024",
            "name": "2024",
            "duration": 3600,
            "revenue": 100,
            "sub_groups": [{"grouped_by": "week", "group": "2024-10", "name": "KW 10", "duration": 3600}],
        }
    )
    assert group.sub_groups is not None
    assert group.sub_groups[0].grouped_by == Grouping.WEEK


def test_unknown_enum_value_in_a_response_fails_validation() -> None:
    with pytest.raises(ValueError, match="type"):
        Entry.model_validate(entry_json(type=4))
    assert Entry.model_validate(entry_json(type=2)).type is EntryType.LUMP_SUM_VALUE


def test_query_encoding_rules() -> None:
    assert encode_query(
        {
            "flag": False,
            "skip": None,
            "when": dt.date(2024, 1, 2),
            "filter": {"ids": [1, None, 2], "rate": 1.5, "empty": None},
        }
    ) == [
        ("flag", "false"),
        ("when", "2024-01-02"),
        ("filter[ids][]", "1"),
        ("filter[ids][]", "2"),
        ("filter[rate]", "1.5"),
    ]
    with pytest.raises(ClockodoArgumentError, match=r"^odd: "):
        encode_query({"odd": object()})
    with pytest.raises(ClockodoArgumentError, match=r"^t: must be timezone-aware"):
        encode_query({"t": dt.datetime(2024, 1, 1)})


def test_json_encoding_rules() -> None:
    aware = dt.datetime(2024, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert encode_json({"a": [aware, dt.date(2024, 1, 2), Billable.BILLED], "b": None}) == {
        "a": ["2024-01-01T00:00:00Z", "2024-01-02", 2],
        "b": None,
    }
    with pytest.raises(ClockodoArgumentError, match=r"^x: "):
        encode_json({"x": {1, 2}})
    with pytest.raises(ClockodoArgumentError, match=r"^t: "):
        encode_json({"t": dt.datetime(2024, 1, 1)})


def test_argument_helpers() -> None:
    class Colour(Enum):
        RED = "red"

    assert check_id("id", 3) == 3
    with pytest.raises(ClockodoArgumentError, match=r"^id: must be a positive integer id, got 0"):
        check_id("id", 0)
    assert coerce_enum("colour", Colour, "red") is Colour.RED
    with pytest.raises(ClockodoArgumentError, match="allowed: 'red'"):
        coerce_enum("colour", Colour, "blue")
    with pytest.raises(ClockodoArgumentError, match="expected a datetime"):
        require_aware("t", "2024-01-01")  # type: ignore[arg-type]
