"""set_billing_state and set_hourly_rate end to end against the fake: preview, confirm, read-back, undo, attacks."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from typing import Any

import pytest

from clockodo_mcp.audit import iter_records
from tests.server.conftest import NOW, call, call_error
from tests.server.expected import id_of, select
from tests.server.gating import outcome_statuses, preview_and_confirm, undo_change

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def store_of(fake_app: Any) -> Any:
    return fake_app.state.store


def snapshot(store: Any) -> dict[str, Any]:
    """Everything the billing tools could touch, as plain data."""
    return {
        "entries": {e.id: dataclasses.astuple(e) for e in store.entries},
        "rates": copy.deepcopy(store.rates),
        "default_rate": store.default_hourly_rate,
    }


def billing_of(store: Any) -> dict[int, int]:
    return {e.id: e.billable for e in store.entries}


def rates_of(store: Any) -> dict[int, float | None]:
    return {e.id: e.hourly_rate for e in store.entries}


def xyz_unbilled_finished(store: Any) -> list[Any]:
    xyz = id_of(store.customers, "Client XYZ")
    return select(store, *NOVEMBER, billable=[1], where=lambda e: e.customers_id == xyz and e.time_until is not None)


XYZ = {"period": "this_month", "customer": "Client XYZ", "to_state": "billed"}


# -- set_billing_state ----------------------------------------------------------------------------------------------


async def test_billing_preview_is_an_invoice_summary_and_changes_nothing(mcp_client, fake_app):
    store = store_of(fake_app)
    before = snapshot(store)
    expected = xyz_unbilled_finished(store)
    running = [e for e in store.entries if e.time_until is None and e.customers_id == 2]

    result = await call(mcp_client, "set_billing_state", **XYZ)

    assert snapshot(store) == before
    invoice = result["preview"]["invoice"]
    assert invoice["entry_count"] == len(expected)
    assert invoice["total_hours"] == pytest.approx(sum(e.duration or 0 for e in expected) / 3600, abs=0.01)
    assert invoice["total_value"]["amount"] == pytest.approx(
        sum(e.hourly_rate * e.duration / 3600 for e in expected if e.type == 1)
        + sum(e.lumpsum or 0 for e in expected if e.type == 2)
        + sum(
            (e.lumpsum_services_amount or 0) * store.lumpsum_services[e.lumpsum_services_id]["price"]
            for e in expected
            if e.type == 3
        ),
        abs=0.05,
    )
    more = invoice.get("more_lines", {"lines": 0, "entries": 0})
    assert sum(line["entries"] for line in invoice["lines"]) + more["entries"] == len(expected)
    keys = {(e.projects_id, e.users_id) for e in expected if e.type == 1}
    items = {(e.projects_id, e.lumpsum_services_id or -e.services_id) for e in expected if e.type != 1}
    time_lines = [line for line in invoice["lines"] if line["kind"] == "time"]
    assert {(line["project_id"], line["user_id"]) for line in time_lines} <= keys
    assert len(invoice["lines"]) + more["lines"] == len(keys) + len(items)
    assert len(time_lines) == min(len(keys), 5), "the largest time lines are shown, the rest summed up"
    assert len(invoice["lines"]) - len(time_lines) == min(len(items), 5), "lump sums are always their own lines"
    assert result["preview"]["running_left_out"] == [e.id for e in running]
    assert any("running timer" in w for w in result["warnings"])
    bulk = [e for e in expected if e.time_since < running[0].time_since]
    assert result["preview"]["clockodo_affected_entries"] == len(bulk)
    assert "confirm_key" not in str(result)
    assert result["confirm_token"]
    assert result["expires_at"]


async def test_confirming_marks_exactly_the_finished_entries_billed_and_undo_restores_them(
    mcp_client, fake_app, audit_path
):
    store = store_of(fake_app)
    original = billing_of(store)
    targets = {e.id for e in xyz_unbilled_finished(store)}

    preview, applied = await preview_and_confirm(mcp_client, "set_billing_state", **XYZ)

    now = billing_of(store)
    assert {i for i, state in now.items() if state != original[i]} == targets
    assert all(now[i] == 2 for i in targets)
    assert applied["after"]["verified"] is True
    assert applied["after"]["invoice"]["lines"] == preview["preview"]["invoice"]["lines"]
    assert applied["after"]["invoice"]["total_value"] == preview["preview"]["invoice"]["total_value"]
    change = [r for r in iter_records(audit_path) if r.get("status") == "ok" and r.get("change")][-1]["change"]
    assert "confirm_key" not in str(change)
    assert sorted(change["ids"]["entries"]) == sorted(targets)

    before_undo = snapshot(store)
    undo_preview = await call(mcp_client, "undo", change_id=applied["change_id"])
    assert undo_preview["preview"]["entries"] == len(targets)
    assert snapshot(store) == before_undo
    await call(mcp_client, "undo", change_id=applied["change_id"], confirm_token=undo_preview["confirm_token"])

    assert billing_of(store) == original


async def test_billing_undo_is_refused_when_an_entry_changed_since(mcp_client, fake_app, audit_path):
    store = store_of(fake_app)
    touched = xyz_unbilled_finished(store)[0]
    _, applied = await preview_and_confirm(mcp_client, "set_billing_state", **XYZ)
    store.update_entry(touched, {"billable": 1})
    before = snapshot(store)

    text = await call_error(mcp_client, "undo", change_id=applied["change_id"])

    assert "changed since" in text
    assert "Nothing was changed" in text
    assert snapshot(store) == before
    assert outcome_statuses(audit_path, "undo")[-1] == "refused"


async def test_undoing_a_billing_change_twice_is_refused(mcp_client, fake_app):
    _, applied = await preview_and_confirm(mcp_client, "set_billing_state", **XYZ)
    await undo_change(mcp_client, applied["change_id"])

    text = await call_error(mcp_client, "undo", change_id=applied["change_id"])

    assert "already undone" in text


async def test_unbilling_defaults_from_billed_and_only_touches_billed_entries(mcp_client, fake_app):
    store = store_of(fake_app)
    acme = id_of(store.customers, "Acme Corp")
    billed = {
        e.id
        for e in select(
            store, date(2026, 10, 1), date(2026, 10, 31), billable=[2], where=lambda e: e.customers_id == acme
        )
    }
    assert billed
    original = billing_of(store)

    _, applied = await preview_and_confirm(
        mcp_client, "set_billing_state", period="2026-10", customer="Acme Corp", to_state="unbilled"
    )

    changed = {i for i, state in billing_of(store).items() if state != original[i]}
    assert changed == billed
    assert applied["preview"]["billing"] == "billed → unbilled"


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        ({"to_state": "billed", "from_state": "billed"}, "changes nothing"),
        ({"to_state": "not_billable", "from_state": "billed"}, "Un-bill them first"),
        ({"to_state": "billed", "customer": "Nobody Inc"}, "Nobody Inc"),
        ({"to_state": "billed", "user": "Sarah"}, "Sarah Chen"),
        ({"to_state": "billed", "period": "2019-01"}, "No finished unbilled entries"),
    ],
)
async def test_bad_billing_requests_are_tool_errors_that_change_nothing(mcp_client, fake_app, arguments, needle):
    store = store_of(fake_app)
    before = snapshot(store)

    text = await call_error(mcp_client, "set_billing_state", **{"period": "this_month", **arguments})

    assert needle in text
    assert "Nothing was changed" in text or "nothing" in text.lower()
    assert snapshot(store) == before


async def test_a_worker_cannot_bill_someone_elses_entries(worker_client, fake_app):
    store = store_of(fake_app)
    before = snapshot(store)

    text = await call_error(
        worker_client, "set_billing_state", period="this_month", user="Sarah Chen", to_state="billed"
    )

    assert "403" in text
    assert "Nothing was changed" in text
    assert snapshot(store) == before


async def test_a_worker_preview_covers_only_their_own_entries(worker_client, fake_app):
    result = await call(worker_client, "set_billing_state", period="this_month", to_state="billed")

    assert {line["user_id"] for line in result["preview"]["invoice"]["lines"]} == {2}


# -- token attacks (shared by every write of this module) ------------------------------------------------------------


async def test_a_stale_billing_preview_is_refused_and_audited(mcp_client, fake_app, audit_path):
    store = store_of(fake_app)
    preview = await call(mcp_client, "set_billing_state", **XYZ)
    victim = next(e for e in xyz_unbilled_finished(store) if e.type == 1)
    store.update_entry(victim, {"duration": victim.duration + 900})
    before = snapshot(store)

    text = await call_error(mcp_client, "set_billing_state", **XYZ, confirm_token=preview["confirm_token"])

    assert "changed since the preview" in text
    assert snapshot(store) == before
    assert outcome_statuses(audit_path, "set_billing_state")[-1] == "refused"


@pytest.mark.parametrize("attack", ["forged", "reused", "other_arguments", "other_tool"])
async def test_token_attacks_on_billing_are_refused_change_nothing_and_are_audited(
    mcp_client, fake_app, audit_path, attack
):
    store = store_of(fake_app)
    preview = await call(mcp_client, "set_billing_state", **XYZ)
    token = preview["confirm_token"]
    tool, arguments = "set_billing_state", dict(XYZ)
    if attack == "forged":
        body, signature = token.split(".")
        token = f"{body}.{signature[::-1]}"
    elif attack == "reused":
        await call(mcp_client, "set_billing_state", **XYZ, confirm_token=token)
    elif attack == "other_arguments":
        arguments["customer"] = "Acme Corp"
    else:
        tool, arguments = "set_hourly_rate", {"hourly_rate": 1, "project": "Phoenix"}
    before = snapshot(store)

    text = await call_error(mcp_client, tool, **arguments, confirm_token=token)

    assert "Nothing was changed" in text or "changed nothing" in text
    assert snapshot(store) == before
    assert outcome_statuses(audit_path, tool)[-1] == "refused"


# -- set_hourly_rate ------------------------------------------------------------------------------------------------


def phoenix_unbilled(store: Any) -> list[Any]:
    phoenix = id_of(store.projects, "Phoenix")
    return select(store, *NOVEMBER, billable=[1], where=lambda e: e.projects_id == phoenix and e.type == 1)


async def test_rate_preview_shows_old_and_new_rate_and_the_value_change_and_changes_nothing(mcp_client, fake_app):
    store = store_of(fake_app)
    before = snapshot(store)
    entries = phoenix_unbilled(store)
    assert entries
    seconds = {e.id: (e.duration if e.time_until else int((NOW - e.time_since).total_seconds())) for e in entries}

    result = await call(mcp_client, "set_hourly_rate", hourly_rate=95, project="Phoenix", rerate_period="this_month")

    assert snapshot(store) == before
    preview = result["preview"]
    assert preview["action"] == "update rule"
    assert preview["rate_before"]["amount"] == 130.0
    assert preview["rate_after"]["amount"] == 95.0
    assert preview["rerate"]["entries"] == len(entries)
    assert preview["rerate"]["value_change"]["amount"] == pytest.approx(
        sum((95 - e.hourly_rate) * seconds[e.id] / 3600 for e in entries), abs=0.05
    )


async def test_confirming_a_rate_updates_the_rule_and_rerates_and_undo_restores_both(mcp_client, fake_app):
    store = store_of(fake_app)
    original_rates = rates_of(store)
    original_rule = copy.deepcopy(store.rates[5])
    targets = {e.id for e in phoenix_unbilled(store)}

    _, applied = await preview_and_confirm(
        mcp_client, "set_hourly_rate", hourly_rate=95, project="Phoenix", rerate_period="this_month"
    )

    assert store.rates[5]["hourly_rate"] == 95.0
    now = rates_of(store)
    assert {i for i, rate in now.items() if rate != original_rates[i]} == {
        i for i in targets if original_rates[i] != 95.0
    }
    assert all(now[i] == 95.0 for i in targets)
    assert applied["after"]["rule"]["hourly_rate"] == 95.0
    assert applied["after"]["rerated"]["verified"] is True

    await undo_change(mcp_client, applied["change_id"])

    assert store.rates[5] == original_rule
    assert rates_of(store) == original_rates


async def test_a_new_rule_is_created_and_undo_deletes_it(mcp_client, fake_app):
    store = store_of(fake_app)
    rules_before = copy.deepcopy(store.rates)

    preview, applied = await preview_and_confirm(
        mcp_client, "set_hourly_rate", hourly_rate=88.5, service="Design", user="Tom Becker"
    )

    assert preview["preview"]["action"] == "create rule"
    assert preview["preview"]["rate_before"] is None
    created = [r for i, r in store.rates.items() if i not in rules_before]
    assert len(created) == 1
    assert created[0]["service_ids"] == [1]
    assert created[0]["user_ids"] == [2]
    assert created[0]["hourly_rate"] == 88.5

    await undo_change(mcp_client, applied["change_id"])

    assert store.rates == rules_before


async def test_rate_undo_is_refused_when_the_rule_changed_since(mcp_client, fake_app, audit_path):
    store = store_of(fake_app)
    _, applied = await preview_and_confirm(mcp_client, "set_hourly_rate", hourly_rate=99, customer="Client XYZ")
    store.rates[1]["hourly_rate"] = 101.0
    store.rebuild_rates()

    text = await call_error(mcp_client, "undo", change_id=applied["change_id"])

    assert "changed since" in text
    assert store.rates[1]["hourly_rate"] == 101.0
    assert outcome_statuses(audit_path, "undo")[-1] == "refused"


async def test_a_stale_rate_preview_is_refused(mcp_client, fake_app):
    store = store_of(fake_app)
    preview = await call(mcp_client, "set_hourly_rate", hourly_rate=99, customer="Client XYZ")
    store.rates[1]["hourly_rate"] = 111.0

    text = await call_error(
        mcp_client, "set_hourly_rate", hourly_rate=99, customer="Client XYZ", confirm_token=preview["confirm_token"]
    )

    assert "changed since the preview" in text
    assert store.rates[1]["hourly_rate"] == 111.0


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        ({"hourly_rate": -5, "project": "Phoenix"}, "'hourly_rate' must be a number from 0 to 99999999.99 (got -5)"),
        ({"hourly_rate": "Infinity", "project": "Phoenix"}, "'hourly_rate' must be a number from 0"),
        ({"hourly_rate": 95.555, "project": "Phoenix"}, "'hourly_rate' must have at most 2 decimals (got 95.555)"),
        ({"hourly_rate": 90}, "at least one of customer"),
        ({"hourly_rate": 90, "customer": "Client XYZ", "project": "Phoenix"}, "EitherCustomersOrProjects"),
        ({"hourly_rate": 130, "project": "Phoenix"}, "already 130.00"),
        ({"hourly_rate": 90, "project": "Phönix Rising"}, "Phönix Rising"),
    ],
)
async def test_bad_rate_requests_are_tool_errors_that_change_nothing(mcp_client, fake_app, arguments, needle):
    store = store_of(fake_app)
    before = snapshot(store)

    text = await call_error(mcp_client, "set_hourly_rate", **arguments)

    assert needle in text
    assert snapshot(store) == before


async def test_a_worker_cannot_set_rates(worker_client, fake_app):
    store = store_of(fake_app)
    before = snapshot(store)

    text = await call_error(worker_client, "set_hourly_rate", hourly_rate=50, project="Phoenix")

    assert "403" in text
    assert snapshot(store) == before


async def test_rerating_warns_when_entries_have_rates_from_more_specific_rules(mcp_client, fake_app):
    store = store_of(fake_app)
    before = snapshot(store)

    result = await call(
        mcp_client, "set_hourly_rate", hourly_rate=120, customer="Acme Corp", rerate_period="this_month"
    )

    assert snapshot(store) == before
    assert result["preview"]["rate_before"]["amount"] == 120.0
    assert any("150.00" in group["rate"] for group in result["preview"]["rerate"]["by_rate"])
    assert any("more specific rule" in w for w in result["warnings"])
