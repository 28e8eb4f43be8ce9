"""set_project_budget and decide_absence end to end against the fake: preview, confirm, read-back, undo, attacks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mcp import Client

from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.tokens import ConfirmationTokens
from tests.server.conftest import NOW, call, call_error, make_runtime
from tests.server.expected import id_of
from tests.server.gating import outcome_statuses, preview_and_confirm, undo_change


def store_of(fake_app: Any) -> Any:
    return fake_app.state.store


def snapshot(store: Any) -> dict[str, Any]:
    return {"projects": copy.deepcopy(store.projects), "absences": copy.deepcopy(store.absences)}


def lifetime_hours(store: Any, project_id: int) -> float:
    seconds = 0
    for e in store.entries:
        if e.projects_id == project_id and e.type == 1 and e.time_since < NOW:
            seconds += e.duration if e.time_until is not None else int((NOW - e.time_since).total_seconds())
    return seconds / 3600


# -- set_project_budget ---------------------------------------------------------------------------------------------


async def test_budget_preview_shows_usage_against_old_and_new_budget_and_changes_nothing(mcp_client, fake_app):
    store = store_of(fake_app)
    before = snapshot(store)
    phoenix = id_of(store.projects, "Phoenix")
    used = lifetime_hours(store, phoenix)

    result = await call(mcp_client, "set_project_budget", project="Phoenix", amount=120, unit="hours")

    assert snapshot(store) == before
    preview = result["preview"]
    assert preview["budget_before"]["amount"] == 100.0
    assert preview["budget_after"]["amount"] == 120.0
    assert preview["budget_after"]["monetary"] is False
    assert preview["usage"]["hours"] == pytest.approx(used, abs=0.01)
    assert preview["against_old_budget"]["pct_used"] == pytest.approx(used / 100 * 100, abs=0.1)
    assert preview["against_new_budget"]["pct_used"] == pytest.approx(used / 120 * 100, abs=0.1)
    assert preview["against_new_budget"]["remaining"] == pytest.approx(120 - used, abs=0.01)


async def test_confirming_a_budget_stores_it_and_undo_restores_the_old_one(mcp_client, fake_app):
    store = store_of(fake_app)
    phoenix = id_of(store.projects, "Phoenix")
    original = copy.deepcopy(store.projects[phoenix]["budget"])

    _, applied = await preview_and_confirm(
        mcp_client,
        "set_project_budget",
        project="Phoenix",
        amount=120,
        unit="hours",
        hard=True,
        notification_thresholds=[80, 100],
    )

    stored = store.projects[phoenix]["budget"]
    assert (stored["amount"], stored["monetary"], stored["hard"]) == (120.0, False, True)
    assert stored["notification_thresholds"] == [80, 100]
    assert applied["after"]["verified"] is True

    await undo_change(mcp_client, applied["change_id"])

    assert store.projects[phoenix]["budget"] == original


async def test_a_project_without_budget_gets_one_and_undo_removes_it(mcp_client, fake_app):
    store = store_of(fake_app)
    project = id_of(store.projects, "Energy Dashboard")
    assert store.projects[project]["budget"] is None

    _, applied = await preview_and_confirm(
        mcp_client, "set_project_budget", project="Energy Dashboard", amount=5000, unit="money"
    )

    assert store.projects[project]["budget"]["amount"] == 5000.0
    assert store.projects[project]["budget"]["monetary"] is True

    await undo_change(mcp_client, applied["change_id"])

    assert store.projects[project]["budget"] is None


async def test_budget_undo_is_refused_when_the_budget_changed_since(mcp_client, fake_app, audit_path):
    store = store_of(fake_app)
    phoenix = id_of(store.projects, "Phoenix")
    _, applied = await preview_and_confirm(
        mcp_client, "set_project_budget", project="Phoenix", amount=120, unit="hours"
    )
    store.projects[phoenix]["budget"]["amount"] = 150.0

    text = await call_error(mcp_client, "undo", change_id=applied["change_id"])

    assert "changed since" in text
    assert "Nothing was changed" in text
    assert store.projects[phoenix]["budget"]["amount"] == 150.0
    assert outcome_statuses(audit_path, "undo")[-1] == "refused"


async def test_a_stale_budget_preview_is_refused(mcp_client, fake_app, audit_path):
    store = store_of(fake_app)
    phoenix = id_of(store.projects, "Phoenix")
    preview = await call(mcp_client, "set_project_budget", project="Phoenix", amount=120, unit="hours")
    store.projects[phoenix]["budget"]["hard"] = True
    before = snapshot(store)

    text = await call_error(
        mcp_client,
        "set_project_budget",
        project="Phoenix",
        amount=120,
        unit="hours",
        confirm_token=preview["confirm_token"],
    )

    assert "changed since the preview" in text
    assert snapshot(store) == before
    assert outcome_statuses(audit_path, "set_project_budget")[-1] == "refused"


async def test_an_expired_budget_token_is_refused(fake_app, audit_path):
    clock = [NOW.timestamp()]
    runtime = make_runtime(fake_app, audit_path)
    runtime.tokens = ConfirmationTokens(ttl_seconds=600, now=lambda: clock[0])
    store = store_of(fake_app)
    before = snapshot(store)
    async with Client(build_server(runtime)) as client:
        preview = await call(client, "set_project_budget", project="Phoenix", amount=120, unit="hours")
        clock[0] += 601

        text = await call_error(
            client,
            "set_project_budget",
            project="Phoenix",
            amount=120,
            unit="hours",
            confirm_token=preview["confirm_token"],
        )

    assert "expired" in text
    assert snapshot(store) == before
    assert outcome_statuses(audit_path, "set_project_budget")[-1] == "refused"


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        ({"project": "Phoenix", "amount": 0, "unit": "hours"}, "above 0"),
        ({"project": "Phoenix", "amount": -10, "unit": "money"}, "above 0"),
        ({"project": "Phoenix", "amount": 100, "unit": "hours", "notification_thresholds": [55]}, "[55]"),
        ({"project": "Phoenix", "amount": 100, "unit": "hours"}, "already has this budget"),
        ({"project": "Spring Campaign", "amount": 100, "unit": "money"}, "completed"),
        ({"project": "Nowhere Project", "amount": 100, "unit": "hours"}, "Nowhere Project"),
    ],
)
async def test_bad_budget_requests_are_tool_errors_that_change_nothing(mcp_client, fake_app, arguments, needle):
    store = store_of(fake_app)
    before = snapshot(store)

    text = await call_error(mcp_client, "set_project_budget", **arguments)

    assert needle in text
    assert snapshot(store) == before


async def test_a_worker_cannot_change_a_budget(worker_client, fake_app):
    store = store_of(fake_app)
    before = snapshot(store)

    preview = await call(worker_client, "set_project_budget", project="Phoenix", amount=120, unit="hours")
    text = await call_error(
        worker_client,
        "set_project_budget",
        project="Phoenix",
        amount=120,
        unit="hours",
        confirm_token=preview["confirm_token"],
    )

    assert "403" in text
    assert "Nothing was changed" in text
    assert snapshot(store) == before


# -- decide_absence -------------------------------------------------------------------------------------------------


def approved_holidays(store: Any, users_id: int, year: int) -> float:
    return sum(
        a["count_days"] or 0
        for a in store.absences.values()
        if a["users_id"] == users_id and a["status"] == 1 and a["type"] == 1 and a["date_since"].startswith(str(year))
    )


async def test_absence_preview_shows_days_quota_and_overlapping_teammates_and_changes_nothing(mcp_client, fake_app):
    store = store_of(fake_app)
    before = snapshot(store)
    sarah = id_of(store.users, "Sarah Chen")
    taken = approved_holidays(store, sarah, 2026)

    result = await call(mcp_client, "decide_absence", user="Sarah Chen", date="2026-12-15", decision="approve")

    assert snapshot(store) == before
    preview = result["preview"]
    assert preview["absence"]["id"] == 1
    assert preview["absence"]["type"] == "regular_holiday"
    assert preview["absence"]["days"] == 5.0
    assert preview["status"] == "pending → approved"
    quota = preview["holiday_quota"]
    assert quota["quota_days"] == 30.0
    assert quota["taken_days"] == taken
    assert quota["remaining_after"] == quota["remaining_before"] - 5
    assert [m["user"] for m in preview["overlapping_teammates"]] == ["Jonas Wagner"]


async def test_approving_stores_the_decision_and_undo_cancels_the_approval(mcp_client, fake_app):
    store = store_of(fake_app)

    _, applied = await preview_and_confirm(
        mcp_client, "decide_absence", absence_id=1, decision="approve", note="Enjoy Lisbon"
    )

    assert store.absences[1]["status"] == 1
    assert store.absences[1]["note"] == "Family trip to Lisbon — Enjoy Lisbon"
    assert applied["after"]["status"] == "approved"
    assert applied["after"]["verified"] is True

    undo_preview = await call(mcp_client, "undo", change_id=applied["change_id"])
    assert any("cannot return an absence to pending" in w for w in undo_preview["warnings"])
    redone = await call(mcp_client, "undo", change_id=applied["change_id"], confirm_token=undo_preview["confirm_token"])

    assert store.absences[1]["status"] == 3
    assert store.absences[1]["note"] == "Family trip to Lisbon"
    text = await call_error(mcp_client, "undo", change_id=redone["change_id"])
    assert "approval_cancelled" in text
    assert "Nothing was changed" in text


async def test_declining_works_and_its_undo_is_refused_with_the_status_rules(mcp_client, fake_app, audit_path):
    store = store_of(fake_app)

    _, applied = await preview_and_confirm(mcp_client, "decide_absence", absence_id=5, decision="decline")

    assert store.absences[5]["status"] == 2
    text = await call_error(mcp_client, "undo", change_id=applied["change_id"])
    assert "declined" in text
    assert "status rules" in text
    assert store.absences[5]["status"] == 2
    assert outcome_statuses(audit_path, "undo")[-1] == "refused"


async def test_absence_undo_is_refused_when_the_absence_changed_since(mcp_client, fake_app):
    store = store_of(fake_app)
    _, applied = await preview_and_confirm(mcp_client, "decide_absence", absence_id=1, decision="approve")
    store.absences[1]["status"] = 3

    text = await call_error(mcp_client, "undo", change_id=applied["change_id"])

    assert "changed since" in text


async def test_a_stale_absence_preview_is_refused(mcp_client, fake_app, audit_path):
    store = store_of(fake_app)
    preview = await call(mcp_client, "decide_absence", absence_id=1, decision="approve")
    store.absences[1]["date_until"] = "2026-12-17"
    before = snapshot(store)

    text = await call_error(
        mcp_client, "decide_absence", absence_id=1, decision="approve", confirm_token=preview["confirm_token"]
    )

    assert "changed since the preview" in text
    assert snapshot(store) == before
    assert outcome_statuses(audit_path, "decide_absence")[-1] == "refused"


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        ({"absence_id": 2, "decision": "approve"}, "is approved, not pending"),
        ({"absence_id": 13, "decision": "approve"}, "declined and cancelled absences are final"),
        ({"decision": "approve"}, "Say which absence"),
        ({"user": "Sarah Chen", "date": "2026-12-25", "decision": "approve"}, "has no absence on 2026-12-25"),
        ({"user": "Sarah", "date": "2026-12-15", "decision": "approve"}, "Sarah Miller"),
        ({"absence_id": 1, "user": "Tom Becker", "decision": "approve"}, "belongs to Sarah Chen"),
    ],
)
async def test_bad_absence_decisions_are_tool_errors_that_change_nothing(mcp_client, fake_app, arguments, needle):
    store = store_of(fake_app)
    before = snapshot(store)

    text = await call_error(mcp_client, "decide_absence", **arguments)

    assert needle in text
    assert snapshot(store) == before


async def test_a_worker_cannot_approve_their_own_request(worker_client, fake_app, audit_path):
    store = store_of(fake_app)
    before = snapshot(store)

    preview = await call(worker_client, "decide_absence", absence_id=5, decision="approve")
    text = await call_error(
        worker_client, "decide_absence", absence_id=5, decision="approve", confirm_token=preview["confirm_token"]
    )

    assert "403" in text
    assert "Nothing was changed" in text
    assert snapshot(store) == before


async def test_list_changes_shows_a_budget_change_and_that_it_was_undone(mcp_client, fake_app):
    _, applied = await preview_and_confirm(
        mcp_client, "set_project_budget", project="Phoenix", amount=120, unit="hours"
    )
    undone = await undo_change(mcp_client, applied["change_id"])

    result = await mcp_client.call_tool("list_changes", {"tool": "set_project_budget"})

    (change,) = result.structured_content["changes"]
    assert change["change_id"] == applied["change_id"]
    assert change["ids"] == {"projects": [id_of(store_of(fake_app).projects, "Phoenix")]}
    assert change["undoable"] is False  # undo would refuse: it was undone already (undo the undo to bring it back)
    assert change["undone_by"] == undone["change_id"]
