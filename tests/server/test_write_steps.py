"""Multi-step writes journal each step (set_billing_state: the mass edit, then the per-entry updates;
set_hourly_rate: the rule, then the re-rating), so a fault between steps leaves a partial change that
`changes show` and list_changes show, and that undo reverts for the part that happened."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.dataset import Dataset
from clockodo_mcp.fake.faults import FaultConfig
from tests.server.conftest import call, frozen_now
from tests.server.gating import preview_and_confirm, undo_change
from tests.server.test_writes_billing import XYZ, billing_of, rates_of, store_of, xyz_unbilled_finished


@pytest.fixture
def fake_app(dataset: Dataset) -> Any:
    """The fake with fault injection switched on (off until a test queues a fault)."""
    return create_app(dataset, now=frozen_now, faults=FaultConfig())


def steps_of(runtime: Any, change_id: str) -> list[tuple[int, str, str, Any]]:
    change = runtime.store.get_change(change_id)
    assert change is not None
    return [(s.index, s.name, s.status, s.detail) for s in change.steps]


def xyz_split(store: Any) -> tuple[list[Any], list[Any]]:
    """XYZ's finished unbilled entries before the running timer (mass edit) and after it (one by one)."""
    running = min(e.time_since for e in store.entries if e.time_until is None and e.customers_id == 2)
    entries = sorted(xyz_unbilled_finished(store), key=lambda e: e.id)
    return [e for e in entries if e.time_since < running], [e for e in entries if e.time_since >= running]


async def test_a_billing_change_journals_its_mass_edit_and_each_per_entry_update(mcp_client, fake_app, runtime):
    bulk, tail = xyz_split(store_of(fake_app))

    _, applied = await preview_and_confirm(mcp_client, "set_billing_state", **XYZ)

    (mass, one_by_one) = steps_of(runtime, applied["change_id"])
    assert mass[:3] == (1, "mass edit", "applied")
    assert (mass[3]["entries"], mass[3]["edited"]) == (len(bulk), len(bulk))
    assert one_by_one[:3] == (2, "per-entry updates", "applied")
    assert (one_by_one[3]["entries"], one_by_one[3]["done"]) == (len(tail), len(tail))


async def test_a_fault_between_billing_steps_is_a_partial_change_that_is_shown_and_undone_for_its_part(
    mcp_client, fake_app, runtime
):
    store = store_of(fake_app)
    original = billing_of(store)
    bulk, tail = xyz_split(store)
    assert len(tail) >= 2
    preview = await call(mcp_client, "set_billing_state", **XYZ)
    fake_app.state.faults.inject("server_error", count=10, path_prefix=f"/v2/entries/{tail[1].id}")

    applied = await call(mcp_client, "set_billing_state", **XYZ, confirm_token=preview["confirm_token"])
    fake_app.state.faults.clear()

    billed = {e.id for e in bulk} | {tail[0].id}
    assert {i for i, state in billing_of(store).items() if state != original[i]} == billed
    assert applied["status"] == "applied"
    assert any(f"Only {len(billed)} of the {len(bulk) + len(tail)}" in w for w in applied["warnings"])
    mass, one_by_one = steps_of(runtime, applied["change_id"])
    assert mass[:3] == (1, "mass edit", "applied")
    assert one_by_one[:3] == (2, "per-entry updates", "unknown")
    assert (one_by_one[3]["done"], one_by_one[3]["last_id"]) == (1, tail[0].id)
    assert "ServerError" in one_by_one[3]["error"] or "503" in one_by_one[3]["error"]
    listed = (await call(mcp_client, "list_changes"))["changes"][0]
    assert (listed["change_id"], listed["status"]) == (applied["change_id"], "applied")
    assert "Partially applied" in listed["summary"]

    await undo_change(mcp_client, applied["change_id"])

    assert billing_of(store) == original


async def test_a_fault_after_the_rule_step_is_a_partial_rate_change_that_undo_reverts(mcp_client, fake_app, runtime):
    store = store_of(fake_app)
    original_rates = rates_of(store)
    original_rule = copy.deepcopy(store.rates[5])
    arguments = {"hourly_rate": 95, "project": "Phoenix", "rerate_period": "this_month"}
    preview = await call(mcp_client, "set_hourly_rate", **arguments)
    fake_app.state.faults.inject("server_error", count=10, path_prefix="/v2/entrygroups")

    applied = await call(mcp_client, "set_hourly_rate", **arguments, confirm_token=preview["confirm_token"])
    fake_app.state.faults.clear()

    assert store.rates[5]["hourly_rate"] == 95.0
    assert rates_of(store) == original_rates
    assert applied["status"] == "applied"
    assert "Partially applied" in (await call(mcp_client, "list_changes"))["changes"][0]["summary"]
    rule, rerate = steps_of(runtime, applied["change_id"])
    assert rule[:3] == (1, "rate rule", "applied")
    assert (rule[3]["action"], rule[3]["hourly_rate"]) == ("update", 95)
    assert rerate[:3] == (2, "re-rate entries", "unknown")

    await undo_change(mcp_client, applied["change_id"])

    assert store.rates[5] == original_rule
    assert rates_of(store) == original_rates
