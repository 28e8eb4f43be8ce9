"""decide_absence over several requests (absence_ids): one preview, one confirmation, progress, a clean cancel, a
truthful partial outcome and an undo that cancels the batch's approvals."""

from __future__ import annotations

import copy
from typing import Any

import anyio
import pytest
from mcp import Client

from clockodo_mcp.server.reconcile import reconcile_unsettled
from clockodo_mcp.server.runtime import Runtime
from tests.server.conftest import call, call_error
from tests.server.gating import outcome_statuses, preview, preview_and_confirm
from tests.server.test_progress import confirm_with_progress

PENDING = [1, 4, 5, 7, 16, 17]  # the demo company's queue (absence_queue), oldest request first is not required


def absences(fake_app: Any) -> dict[int, dict[str, Any]]:
    return copy.deepcopy(fake_app.state.store.absences)


def statuses(fake_app: Any, ids: list[int]) -> list[int]:
    return [fake_app.state.store.absences[i]["status"] for i in ids]


async def test_a_batch_preview_shows_each_request_as_the_single_preview_does_with_totals_and_changes_nothing(
    mcp_client: Client, fake_app: Any
) -> None:
    before = absences(fake_app)
    single = await call(mcp_client, "decide_absence", absence_id=1, decision="approve")

    shown = await call(mcp_client, "decide_absence", absence_ids=PENDING, decision="approve")

    assert absences(fake_app) == before
    assert shown["status"] == "preview"
    batch = shown["preview"]
    assert [r["absence"]["id"] for r in batch["requests"]] == PENDING
    assert batch["requests"][0] == single["preview"]  # nobody else in the batch is off in Sarah's week
    assert batch["status"] == "pending → approved"
    assert batch["totals"] == {
        "requests": 6,
        "people": 6,
        "days": 12.5,
        "hours": 4.0,
        "over_quota": [],
        "overlapping_ids": [1],
    }
    assert "1 teammate absence(s) overlap requests [1]." in shown["warnings"]
    assert [a["id"] for a in shown["before"]["absences"]] == PENDING


async def test_a_list_of_one_id_answers_exactly_like_absence_id(mcp_client: Client) -> None:
    by_id = await call(mcp_client, "decide_absence", absence_id=1, decision="approve")
    by_list = await call(mcp_client, "decide_absence", absence_ids=[1], decision="approve")

    volatile = {"confirm_token", "expires_at"}
    assert {k: v for k, v in by_list.items() if k not in volatile} == {
        k: v for k, v in by_id.items() if k not in volatile
    }


async def test_confirming_a_batch_decides_each_absence_once_and_journals_one_step(
    mcp_client: Client, fake_app: Any, runtime: Runtime
) -> None:
    arguments = {"absence_ids": PENDING, "decision": "approve", "note": "ok"}
    shown, applied = await preview_and_confirm(mcp_client, "decide_absence", **arguments)

    store = fake_app.state.store.absences
    assert statuses(fake_app, PENDING) == [1] * 6
    assert store[1]["note"] == "Family trip to Lisbon — ok"
    assert store[5]["note"] == "ok"
    assert applied["after"]["verified"] is True
    assert [a["id"] for a in applied["after"]["decided"]] == PENDING
    assert applied["after"]["not_decided_ids"] == []
    change = runtime.store.get_change(applied["change_id"])
    assert change is not None
    (step,) = change.steps
    assert (step.name, step.status) == ("absence decisions", "applied")
    assert (step.detail["entries"], step.detail["done"], step.detail["last_id"]) == (6, 6, 17)
    text = await call_error(mcp_client, "decide_absence", **arguments, confirm_token=shown["confirm_token"])
    assert "already used" in text
    assert statuses(fake_app, PENDING) == [1] * 6


@pytest.mark.parametrize(
    ("ids", "named"),
    [
        ([1, 2, 4], ["2 is approved"]),
        ([1, 999, 13, 4], ["no absence has id 999", "13 is declined"]),
    ],
)
async def test_a_batch_with_one_absence_that_is_not_pending_is_refused_whole_naming_it(
    mcp_client: Client, fake_app: Any, audit_path: Any, ids: list[int], named: list[str]
) -> None:
    before = absences(fake_app)

    text = await call_error(mcp_client, "decide_absence", absence_ids=ids, decision="approve")

    for needle in named:
        assert needle in text
    assert "Nothing was changed" in text
    assert absences(fake_app) == before


async def test_a_batch_whose_absence_was_decided_since_the_preview_is_refused_and_changes_nothing(
    mcp_client: Client, fake_app: Any
) -> None:
    shown = await preview(mcp_client, "decide_absence", absence_ids=PENDING, decision="approve")
    fake_app.state.store.absences[7]["status"] = 2  # declined by someone else meanwhile
    before = absences(fake_app)

    text = await call_error(
        mcp_client, "decide_absence", absence_ids=PENDING, decision="approve", confirm_token=shown["confirm_token"]
    )

    assert "7 is declined" in text
    assert "Nothing was changed" in text
    assert absences(fake_app) == before


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        ({"absence_ids": [1, 4], "absence_id": 1}, "Say which absences one way"),
        ({"absence_ids": [1, 4], "user": "Sarah Chen", "date": "2026-12-15"}, "Drop absence_id, user and date"),
        ({"absence_ids": [1, 4, 1]}, "more than once"),
        ({"absence_ids": []}, "absence_ids"),
        ({"absence_ids": list(range(1, 52))}, "absence_ids"),
    ],
)
async def test_saying_which_absences_in_two_ways_or_a_bad_list_is_refused(
    mcp_client: Client, fake_app: Any, arguments: dict[str, Any], needle: str
) -> None:
    before = absences(fake_app)

    text = await call_error(mcp_client, "decide_absence", decision="approve", **arguments)

    assert needle in text
    assert absences(fake_app) == before


async def test_a_batch_reports_its_progress_absence_by_absence_up_to_the_total(mcp_client: Client) -> None:
    result, seen = await confirm_with_progress(
        mcp_client, "decide_absence", {"absence_ids": PENDING, "decision": "approve"}
    )

    assert not result.is_error, result.content
    assert [d for d, _, _ in seen] == [0, 1, 2, 3, 4, 5, 6]  # the step starts, then each absence
    assert {t for _, t, _ in seen} == {6}
    assert any("absence decisions (3 of 6 absences)" in (m or "") for _, _, m in seen)


async def test_a_cancelled_batch_stops_between_absences_and_is_settled_as_the_part_it_decided(
    mcp_client: Client, runtime: Runtime, fake_app: Any
) -> None:
    arguments = {"absence_ids": PENDING, "decision": "approve"}
    shown = await preview(mcp_client, "decide_absence", **arguments)

    async with anyio.create_task_group() as group:

        async def progress(done: float, total: float | None, message: str | None) -> None:
            if message and "(2 of" in message:
                group.cancel_scope.cancel()  # the user pressed Stop after the second absence

        async def run() -> None:
            confirmed = {**arguments, "confirm_token": shown["confirm_token"]}
            await mcp_client.call_tool("decide_absence", confirmed, progress_callback=progress)

        group.start_soon(run)

    (listed,) = runtime.store.list_changes(limit=1, offset=0)
    change = runtime.store.get_change(listed.change_id)
    assert change is not None
    (step,) = change.steps
    assert change.status == "unknown"
    assert (change.error or "").startswith("cancelled")
    assert step.detail["done"] == 2
    assert step.detail["last_id"] == 4
    assert statuses(fake_app, PENDING) == [1, 1, 0, 0, 0, 0]  # exactly the two the journal counts

    await reconcile_unsettled(runtime)  # what the next start (or `changes reconcile`) does

    settled = runtime.store.get_change(listed.change_id)
    assert settled is not None
    assert settled.status == "applied"
    assert isinstance(settled.result, dict)
    assert settled.result["ids"] == {"absences": [1, 4]}
    assert "Partially applied: 4 of the 6 are still pending (ids [5, 7, 16, 17])" in settled.result["summary"]
    _, undone = await preview_and_confirm(mcp_client, "undo", change_id=listed.change_id)
    assert statuses(fake_app, PENDING) == [3, 3, 0, 0, 0, 0]
    assert [a["id"] for a in undone["after"]["decided"]] == [1, 4]


async def test_a_batch_refused_by_clockodo_partway_is_reported_as_applied_for_the_absences_it_decided(
    mcp_client: Client, fake_app: Any
) -> None:
    arguments = {"absence_ids": [1, 4, 7], "decision": "approve", "note": "ok"}
    shown = await preview(mcp_client, "decide_absence", **arguments)
    store = fake_app.state.store.absences
    # Another approved absence of the same person on the same day: Clockodo refuses the second note as a collision.
    store[900] = {**store[4], "id": 900, "status": 1, "note": "booked elsewhere"}

    applied = await call(mcp_client, "decide_absence", **arguments, confirm_token=shown["confirm_token"])

    assert statuses(fake_app, [1, 4, 7]) == [1, 0, 0]
    assert applied["status"] == "applied"
    assert applied["after"]["not_decided_ids"] == [4, 7]
    assert [a["id"] for a in applied["after"]["decided"]] == [1]
    assert "Partially applied" in applied["summary"]
    assert any("Only 1 of the 3 absences were decided (ids [1])" in w for w in applied["warnings"])


async def test_undoing_a_batch_approval_cancels_each_approval_and_restores_the_notes(
    mcp_client: Client, fake_app: Any
) -> None:
    before = absences(fake_app)
    _, applied = await preview_and_confirm(
        mcp_client, "decide_absence", absence_ids=[1, 5, 7], decision="approve", note="ok"
    )

    shown = await call(mcp_client, "undo", change_id=applied["change_id"])
    assert shown["preview"]["status"] == "approved → approval_cancelled"
    assert [a["id"] for a in shown["preview"]["absences"]] == [1, 5, 7]
    assert any("cannot return an absence to pending" in w for w in shown["warnings"])
    await call(mcp_client, "undo", change_id=applied["change_id"], confirm_token=shown["confirm_token"])

    store = fake_app.state.store.absences
    assert statuses(fake_app, [1, 5, 7]) == [3, 3, 3]
    assert [store[i]["note"] or "" for i in (1, 5, 7)] == [before[i]["note"] or "" for i in (1, 5, 7)]


async def test_undoing_a_batch_is_refused_whole_when_one_absence_changed_since(
    mcp_client: Client, fake_app: Any, audit_path: Any
) -> None:
    _, applied = await preview_and_confirm(mcp_client, "decide_absence", absence_ids=[1, 4, 7], decision="approve")
    fake_app.state.store.absences[4]["status"] = 3
    before = absences(fake_app)

    text = await call_error(mcp_client, "undo", change_id=applied["change_id"])

    assert "4 is approval_cancelled" in text
    assert "changed since" in text
    assert "Nothing was changed" in text
    assert absences(fake_app) == before
    assert outcome_statuses(audit_path, "undo")[-1] == "refused"


async def test_undoing_a_batch_decline_is_refused_with_the_status_rules(mcp_client: Client, fake_app: Any) -> None:
    _, applied = await preview_and_confirm(mcp_client, "decide_absence", absence_ids=[4, 7], decision="decline")
    assert statuses(fake_app, [4, 7]) == [2, 2]

    text = await call_error(mcp_client, "undo", change_id=applied["change_id"])

    assert "declined" in text
    assert "status rules" in text
    assert statuses(fake_app, [4, 7]) == [2, 2]
