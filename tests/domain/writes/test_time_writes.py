"""The time-entry write plans, called as plain functions: plan (reads only), apply, undo spec, expectation, check."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from clockodo_mcp.domain.undo import DeleteEntry, RecreateEntry, RestoreEntry, parse_undo
from clockodo_mcp.domain.writes import time_entries, timers
from clockodo_mcp.domain.writes.checks import check
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.plan import WriteRefused, WriteRejected
from clockodo_mcp.domain.writes.time_entries import DeleteEntryArgs, EditEntryArgs, LogTimeArgs
from clockodo_mcp.domain.writes.timers import StopTimerArgs
from tests.server.gating import entries_state

EDITABLE = 6323  # the owner's entry on Fri 2026-11-20, 11:40–14:10 Berlin
LOG = LogTimeArgs(project="Phoenix", service="Development", date="2026-11-22", start="10:00", duration="1h")


async def test_a_log_time_plan_reads_only_and_its_apply_creates_the_previewed_entry(deps: WriteDeps, fake_app: Any):
    before = entries_state(fake_app.state.store)
    plan = await time_entries.log_time(LOG, deps)
    assert entries_state(fake_app.state.store) == before
    assert (plan.preview.entry.start, plan.preview.entry.end, plan.preview.entry.hours) == (
        "2026-11-22 10:00",
        "2026-11-22 11:00",
        1.0,
    )
    applied = await plan.apply()
    assert applied.after.text is None
    assert fake_app.state.store.entry(applied.after.id).projects_id == applied.after.projects_id
    assert isinstance(applied.undo, DeleteEntry)
    assert applied.undo.entry_id == applied.after.id


async def test_the_log_time_expectation_tells_applied_from_not_applied(deps: WriteDeps):
    plan = await time_entries.log_time(LOG, deps)
    assert (await check(deps, plan.expect)).outcome == "not_applied"
    applied = await plan.apply()
    verdict = await check(deps, plan.expect)
    assert verdict.outcome == "applied"
    assert verdict.applied is not None
    assert verdict.applied.undo == applied.undo


async def test_a_second_identical_log_time_is_refused_as_a_duplicate(deps: WriteDeps):
    await (await time_entries.log_time(LOG, deps)).apply()
    with pytest.raises(WriteRefused, match="An identical entry already exists"):
        await time_entries.log_time(LOG, deps)


async def test_an_edit_that_changes_nothing_is_rejected(deps: WriteDeps):
    plan = await time_entries.edit_entry(EditEntryArgs(entry_id=EDITABLE, text="Reviewed"), deps)
    await plan.apply()
    with pytest.raises(WriteRejected, match="Nothing to change"):
        await time_entries.edit_entry(EditEntryArgs(entry_id=EDITABLE, text="Reviewed"), deps)


async def test_an_edit_previews_each_field_before_and_after_and_records_how_to_restore_it(deps: WriteDeps):
    plan = await time_entries.edit_entry(EditEntryArgs(entry_id=EDITABLE, duration="1h"), deps)
    assert plan.preview.hours.model_dump() == {"before": 2.5, "after": 1.0}
    assert plan.preview.changes["end"].after == "2026-11-20 12:40"
    applied = await plan.apply()
    assert isinstance(applied.undo, RestoreEntry)
    assert applied.undo.fields["duration"] == 9000


async def test_a_deleted_entry_is_recorded_whole_so_that_undo_can_recreate_it(deps: WriteDeps, fake_app: Any):
    plan = await time_entries.delete_entry(DeleteEntryArgs(entry_id=EDITABLE), deps)
    applied = await plan.apply()
    assert isinstance(applied.undo, RecreateEntry)
    assert applied.undo.entry["text"] == "Release planning"
    assert (await check(deps, plan.expect)).outcome == "applied"
    assert EDITABLE not in {e.id for e in fake_app.state.store.entries}


async def test_stopping_without_a_running_timer_is_rejected(deps: WriteDeps):
    with pytest.raises(WriteRejected, match="No timer is running"):
        await timers.stop_timer(StopTimerArgs(), deps)


def test_an_argument_model_refuses_unknown_arguments_and_dumps_every_field():
    with pytest.raises(ValidationError):
        LogTimeArgs.model_validate({"project": "Phoenix", "hours": 3})
    assert set(LOG.model_dump(mode="json")) == set(LogTimeArgs.model_fields)


def test_undo_specs_are_typed_per_kind_and_read_the_stored_version_1_shape():
    spec = parse_undo(
        {
            "kind": "billing_state",
            "since": "a",
            "cut": "b",
            "until": "c",
            "filter": {},
            "from": 1,
            "to": 2,
            "bulk_ids": [1],
            "tail_ids": [],
        }
    )
    assert spec.kind == "billing_state"
    assert spec.to_json()["from"] == 1
    assert spec.to_json()["version"] == 1
