"""log_time, edit_entry, delete_entry, start_timer, stop_timer: preview changes nothing, confirm applies and reads
back, undo restores — end to end through the MCP client against the fake Clockodo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clockodo_mcp.domain.writes.timeinput import parse_duration
from tests.server.conftest import NOW, call, call_error
from tests.server.gating import apply, entries_state, fields, outcomes, preview

OWNER = 1
WORKER = 2
PHOENIX = 16
DEVELOPMENT = 2
# Owner's entry on Fri 2026-11-20, 11:40–14:10 Berlin: Website Redesign / Project Management, unbilled.
EDITABLE = 6323
SUNDAY = "2026-11-22"  # nobody works: a free slot


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- durations ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1.5h", 5400), ("90m", 5400), ("1:30", 5400), (1.5, 5400), ("1h 30m", 5400), ("1,5", 5400), ("2", 7200)],
)
def test_durations_are_read_in_every_common_notation(text: str | float, seconds: int) -> None:
    assert parse_duration(text) == seconds


# -- log_time -------------------------------------------------------------------------------------------


async def test_log_time_preview_changes_nothing_and_confirm_creates_the_entry(mcp_client, fake_app, audit_path):
    store = fake_app.state.store
    before = entries_state(store)
    args = {"project": "Phoenix", "service": "Development", "date": SUNDAY, "start": "10:00", "end": "11:30"}
    shown = await preview(mcp_client, "log_time", **args, text="Sprint review")
    assert entries_state(store) == before
    assert shown["preview"]["entry"]["hours"] == 1.5
    assert shown["preview"]["entry"]["customer"] == "Helios Energy AG"
    assert shown["preview"]["entry"]["billing"] == "unbilled"

    done = await call(mcp_client, "log_time", **args, text="Sprint review", confirm_token=shown["confirm_token"])
    created = store.entry(done["after"]["id"])
    assert created.users_id == OWNER
    assert (created.projects_id, created.customers_id, created.services_id) == (PHOENIX, 6, DEVELOPMENT)
    assert (created.time_since, created.time_until) == (utc("2026-11-22T09:00"), utc("2026-11-22T10:30"))
    assert created.text == "Sprint review"
    assert created.billable == 1
    assert done["after"]["hours"] == 1.5
    assert done["after"]["value"]["amount"] == round(created.hourly_rate * 1.5, 2)
    change = outcomes(audit_path, "log_time")[-1]["change"]
    assert change["ids"] == {"entries": [created.id]}


async def test_undo_of_log_time_deletes_the_entry_again(mcp_client, fake_app):
    store = fake_app.state.store
    before = entries_state(store)
    done = await apply(mcp_client, "log_time", project="Phoenix", service="Development", date=SUNDAY, duration="2h")
    assert store.entry(done["after"]["id"]) is not None
    await apply(mcp_client, "undo", change_id=done["change_id"])
    assert store.entry(done["after"]["id"]) is None
    assert entries_state(store) == before


async def test_a_bare_duration_goes_after_the_users_last_entry_of_the_day(mcp_client, fake_app):
    # The owner's last entry on Tue 2026-11-24 ends at 11:05 Berlin.
    shown = await preview(mcp_client, "log_time", project="Phoenix", service="Development", duration="90m")
    assert shown["preview"]["entry"]["start"] == "2026-11-24 11:05"
    assert shown["preview"]["entry"]["end"] == "2026-11-24 12:35"


async def test_an_internal_project_is_logged_not_billable_by_default(mcp_client, fake_app):
    done = await apply(mcp_client, "log_time", project="Team Meetings", service="Meetings", date=SUNDAY, duration="30m")
    assert done["after"]["billing"] == "not_billable"
    assert fake_app.state.store.entry(done["after"]["id"]).billable == 0


async def test_an_exact_duplicate_is_refused_unless_allowed(mcp_client, fake_app, audit_path):
    args = {"project": "Phoenix", "service": "Development", "date": SUNDAY, "start": "10:00", "duration": "1h"}
    await apply(mcp_client, "log_time", **args, text="Review")
    before = entries_state(fake_app.state.store)
    error = await call_error(mcp_client, "log_time", **args, text="Review")
    assert "identical entry" in error
    assert "allow_duplicate=true" in error
    assert entries_state(fake_app.state.store) == before
    assert outcomes(audit_path, "log_time")[-1]["status"] == "refused"
    allowed = await preview(mcp_client, "log_time", **args, text="Review", allow_duplicate=True)
    assert len(allowed["preview"]["duplicates"]) == 1
    assert allowed["warnings"]


async def test_an_overlap_with_the_users_entries_is_refused_unless_allowed(mcp_client, fake_app):
    store = fake_app.state.store
    before = entries_state(store)
    args = {"project": "Phoenix", "service": "Development", "date": "2026-11-20", "start": "12:00", "end": "13:00"}
    error = await call_error(mcp_client, "log_time", **args)
    assert "overlaps" in error
    assert str(EDITABLE) in error
    assert "allow_overlap=true" in error
    assert entries_state(store) == before
    done = await apply(mcp_client, "log_time", **args, allow_overlap=True)
    assert [e["id"] for e in done["preview"]["overlaps"]] == [EDITABLE]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"duration": "0h"}, "not positive"),
        ({"duration": -1}, "a number above 0 and at most 24 (got -1)"),
        ({"duration": 30}, "a number above 0 and at most 24 (got 30)"),
        ({"duration": "inf"}, "not a finite number of hours"),
        ({"duration": "1e400"}, "not a finite number of hours"),
        ({"duration": "1h", "date": "9999-12-31"}, "outside the years Clockodo accepts"),
        ({"start": "0001-01-01T09:00", "end": "0001-01-01T10:00"}, "outside the years Clockodo accepts"),
        ({"duration": "25h"}, "longer than 24 hours"),
        ({"start": "11:00", "end": "10:00"}, "end lies before the start"),
        ({"duration": "soon"}, "not understood"),
        ({"duration": "1h", "date": "24.11.2026"}, "not a day"),
        ({}, "Give a duration"),
    ],
)
async def test_bad_times_are_refused_with_what_to_do(mcp_client, fake_app, arguments, message):
    before = entries_state(fake_app.state.store)
    error = await call_error(mcp_client, "log_time", project="Phoenix", service="Development", **arguments)
    assert message in error
    assert "Nothing was changed" in error
    assert entries_state(fake_app.state.store) == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"project": "Pheonix", "service": "Development"}, "Did you mean: Phoenix"),
        ({"project": "Phoenix", "service": "Development", "user": "Sarah"}, "ambiguous"),
        ({"project": "Phoenix", "customer": "Acme Corp", "service": "Development"}, "belongs to customer"),
        ({"service": "Development"}, "pass project"),
        ({"project": "Phoenix"}, "needs a service"),
    ],
)
async def test_missing_unknown_or_ambiguous_targets_are_refused(mcp_client, fake_app, arguments, message):
    before = entries_state(fake_app.state.store)
    error = await call_error(mcp_client, "log_time", duration="1h", **arguments)
    assert message in error
    assert entries_state(fake_app.state.store) == before


async def test_a_worker_logs_own_time_but_not_someone_elses(worker_client, fake_app):
    store = fake_app.state.store
    done = await apply(worker_client, "log_time", project="Phoenix", service="Development", date=SUNDAY, duration=1)
    assert store.entry(done["after"]["id"]).users_id == WORKER
    before = entries_state(store)
    error = await call_error(
        worker_client, "log_time", project="Phoenix", service="Development", date=SUNDAY, duration=1, user="Olivia"
    )
    assert "403" in error
    assert entries_state(store) == before


# -- edit_entry -----------------------------------------------------------------------------------------


async def test_edit_entry_previews_each_field_and_undo_restores_it(mcp_client, fake_app):
    store = fake_app.state.store
    original = fields(store.entry(EDITABLE))
    before = entries_state(store)
    args = {"entry_id": EDITABLE, "duration": "2h", "text": "Release planning v2", "billing": "billed"}
    shown = await preview(mcp_client, "edit_entry", **args)
    assert entries_state(store) == before
    changes = shown["preview"]["changes"]
    assert changes["duration"] == {"before": "2:30 h", "after": "2:00 h"}
    assert changes["end"] == {"before": "2026-11-20 14:10", "after": "2026-11-20 13:40"}
    assert changes["billing"] == {"before": "unbilled", "after": "billed"}
    assert shown["preview"]["hours"] == {"before": 2.5, "after": 2.0}
    rate = store.entry(EDITABLE).hourly_rate
    assert shown["preview"]["value"]["after"]["amount"] == round(rate * 2, 2)

    done = await call(mcp_client, "edit_entry", **args, confirm_token=shown["confirm_token"])
    entry = store.entry(EDITABLE)
    assert (entry.time_until, entry.duration, entry.text, entry.billable) == (
        utc("2026-11-20T12:40"),
        7200,
        "Release planning v2",
        2,
    )
    assert done["after"]["billing"] == "billed"
    assert done["after"]["hours"] == 2.0

    await apply(mcp_client, "undo", change_id=done["change_id"])
    assert fields(store.entry(EDITABLE)) == original


async def test_moving_an_entry_to_another_project_changes_its_customer_and_undo_moves_it_back(mcp_client, fake_app):
    store = fake_app.state.store
    original = fields(store.entry(EDITABLE))
    done = await apply(mcp_client, "edit_entry", entry_id=EDITABLE, project="Phoenix", start="15:00")
    entry = store.entry(EDITABLE)
    assert (entry.projects_id, entry.customers_id) == (PHOENIX, 6)
    assert (entry.time_since, entry.duration) == (utc("2026-11-20T14:00"), 9000)  # moved, same length
    assert done["preview"]["value"]["after"].startswith("re-rated")
    await apply(mcp_client, "undo", change_id=done["change_id"])
    assert fields(store.entry(EDITABLE)) == original


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"entry_id": EDITABLE, "text": "Release planning"}, "Nothing to change"),
        ({"entry_id": EDITABLE, "start": "15:00", "end": "14:00"}, "end lies before the start"),
        ({"entry_id": EDITABLE, "duration": "30h"}, "longer than 24 hours"),
        ({"entry_id": 999999, "text": "x"}, "no entry 999999"),
        ({"entry_id": 6344, "duration": "1h"}, "running timer"),
    ],
)
async def test_edit_entry_refuses_bad_input_and_changes_nothing(mcp_client, fake_app, arguments, message):
    before = entries_state(fake_app.state.store)
    error = await call_error(mcp_client, "edit_entry", **arguments)
    assert message in error
    assert entries_state(fake_app.state.store) == before


async def test_a_worker_cannot_edit_someone_elses_entry(worker_client, fake_app):
    before = entries_state(fake_app.state.store)
    error = await call_error(worker_client, "edit_entry", entry_id=EDITABLE, text="mine now")
    assert "403" in error
    assert entries_state(fake_app.state.store) == before


# -- delete_entry ---------------------------------------------------------------------------------------


async def test_delete_entry_removes_it_and_undo_recreates_the_same_fields(mcp_client, fake_app, audit_path):
    store = fake_app.state.store
    original = fields(store.entry(EDITABLE))
    before = entries_state(store)
    shown = await preview(mcp_client, "delete_entry", entry_id=EDITABLE)
    assert entries_state(store) == before
    assert shown["preview"]["entry"]["id"] == EDITABLE
    done = await call(mcp_client, "delete_entry", entry_id=EDITABLE, confirm_token=shown["confirm_token"])
    assert store.entry(EDITABLE) is None
    assert done["before"]["id"] == EDITABLE

    restored = await apply(mcp_client, "undo", change_id=done["change_id"])
    new_id = restored["after"]["id"]
    assert new_id != EDITABLE
    assert fields(store.entry(new_id)) == original
    assert outcomes(audit_path, "undo")[-1]["change"]["ids"] == {"entries": [new_id]}


async def test_undo_of_deleting_a_billed_entry_recreates_it_billed(mcp_client, fake_app):
    store = fake_app.state.store
    await apply(mcp_client, "edit_entry", entry_id=EDITABLE, billing="billed")
    original = fields(store.entry(EDITABLE))
    done = await apply(mcp_client, "delete_entry", entry_id=EDITABLE)
    assert "already billed" in " ".join(done["warnings"])
    restored = await apply(mcp_client, "undo", change_id=done["change_id"])
    assert fields(store.entry(restored["after"]["id"])) == original


async def test_undo_of_deleting_a_running_timer_starts_it_again_from_its_start(mcp_client, fake_app):
    store = fake_app.state.store
    started = await apply(mcp_client, "start_timer", project="Phoenix", service="Development", text="Oops")
    timer = fields(store.running_entry(OWNER))
    done = await apply(mcp_client, "delete_entry", entry_id=started["after"]["running"]["id"])
    assert "running timer" in " ".join(done["warnings"])
    assert store.running_entry(OWNER) is None
    await apply(mcp_client, "undo", change_id=done["change_id"])
    assert fields(store.running_entry(OWNER)) == timer


async def test_log_time_takes_iso_datetimes_in_the_account_time_zone(mcp_client, fake_app):
    done = await apply(
        mcp_client,
        "log_time",
        project="Phoenix",
        service="Development",
        start="2026-11-22T08:00",
        end="2026-11-22T09:15",
    )
    entry = fake_app.state.store.entry(done["after"]["id"])
    assert (entry.time_since, entry.time_until) == (utc("2026-11-22T07:00"), utc("2026-11-22T08:15"))


async def test_deleting_an_unknown_entry_says_how_to_find_the_id(mcp_client):
    error = await call_error(mcp_client, "delete_entry", entry_id=999999)
    assert "list_entries" in error
    assert "Nothing was changed" in error


async def test_a_worker_cannot_delete_someone_elses_entry(worker_client, fake_app):
    before = entries_state(fake_app.state.store)
    error = await call_error(worker_client, "delete_entry", entry_id=EDITABLE)
    assert "403" in error
    assert entries_state(fake_app.state.store) == before


# -- timers ---------------------------------------------------------------------------------------------


async def test_start_timer_starts_and_undo_removes_it(mcp_client, fake_app):
    store = fake_app.state.store
    before = entries_state(store)
    shown = await preview(mcp_client, "start_timer", project="Phoenix", service="Development", text="Triage")
    assert entries_state(store) == before
    assert shown["preview"]["stops_running_timer"] is None
    done = await call(
        mcp_client,
        "start_timer",
        project="Phoenix",
        service="Development",
        text="Triage",
        confirm_token=shown["confirm_token"],
    )
    running = store.running_entry(OWNER)
    assert running is not None
    assert (running.id, running.projects_id, running.text, running.time_since) == (
        done["after"]["running"]["id"],
        PHOENIX,
        "Triage",
        NOW,
    )
    await apply(mcp_client, "undo", change_id=done["change_id"])
    assert store.running_entry(OWNER) is None
    assert entries_state(store) == before


async def test_starting_a_second_timer_shows_the_one_it_stops_and_undo_lets_that_one_run_on(mcp_client, fake_app):
    store = fake_app.state.store
    first = await apply(mcp_client, "start_timer", project="Phoenix", service="Development", text="First")
    first_fields = fields(store.running_entry(OWNER))
    shown = await preview(mcp_client, "start_timer", project="Website Redesign", service="Design")
    assert shown["preview"]["stops_running_timer"]["id"] == first["after"]["running"]["id"]
    assert "will be stopped" in shown["warnings"][0]
    second = await call(
        mcp_client, "start_timer", project="Website Redesign", service="Design", confirm_token=shown["confirm_token"]
    )
    assert store.entry(first["after"]["running"]["id"]).time_until == NOW
    assert second["after"]["stopped"]["id"] == first["after"]["running"]["id"]

    await apply(mcp_client, "undo", change_id=second["change_id"])
    running = store.running_entry(OWNER)
    assert fields(running) == first_fields  # runs again from its original start
    assert store.entry(second["after"]["running"]["id"]) is None


async def test_stop_timer_stops_it_and_undo_makes_it_run_again_from_its_start(mcp_client, fake_app):
    store = fake_app.state.store
    await apply(mcp_client, "start_timer", project="Phoenix", service="Development", text="Deep work")
    timer = fields(store.running_entry(OWNER))
    before = entries_state(store)
    shown = await preview(mcp_client, "stop_timer")
    assert entries_state(store) == before
    assert shown["preview"]["timer"]["text"] == "Deep work"
    done = await call(mcp_client, "stop_timer", confirm_token=shown["confirm_token"])
    assert store.running_entry(OWNER) is None
    stopped = fields(store.entry(done["after"]["id"]))
    assert stopped["time_until"] == NOW

    restarted = await apply(mcp_client, "undo", change_id=done["change_id"])
    assert fields(store.running_entry(OWNER)) == timer
    # Undoing the undo stops it again at the original end.
    again = await apply(mcp_client, "undo", change_id=restarted["change_id"])
    assert store.running_entry(OWNER) is None
    assert fields(store.entry(again["after"]["id"])) == stopped


async def test_stop_timer_without_a_running_timer_says_so(mcp_client, fake_app):
    error = await call_error(mcp_client, "stop_timer")
    assert "No timer is running for Olivia Brandt" in error
    assert "Nothing was changed" in error


async def test_stopping_someone_elses_forgotten_timer_warns_about_the_24_hour_cap(mcp_client, fake_app):
    # Paul Zimmermann's timer has run since Mon 09:00 Berlin: 31 hours.
    shown = await preview(mcp_client, "stop_timer", user="Paul Zimmermann")
    assert "24 hours" in shown["warnings"][0]
    assert shown["preview"]["hours"] == 24.0
    done = await call(mcp_client, "stop_timer", user="Paul Zimmermann", confirm_token=shown["confirm_token"])
    entry = fake_app.state.store.entry(done["after"]["id"])
    assert entry.time_until - entry.time_since == timedelta(hours=24)


async def test_a_worker_cannot_stop_someone_elses_timer(worker_client, fake_app):
    before = entries_state(fake_app.state.store)
    error = await call_error(worker_client, "stop_timer", user="Paul Zimmermann")
    assert "403" in error
    assert entries_state(fake_app.state.store) == before
