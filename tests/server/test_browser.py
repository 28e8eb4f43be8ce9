"""The views in a real browser (chromium): they show the tool's numbers, fit narrow and wide frames in both themes,
never touch the network, and the confirmation dialog's buttons apply a preview exactly once or cancel it."""

from __future__ import annotations

from typing import Any

import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.server.views import VIEWS
from tests.server.browser import NARROW, WIDE, add_pending, en, euros, needs_browser

pytestmark = [pytest.mark.slow, needs_browser]

BILL = {"period": "last_month", "customer": "Client XYZ", "to_state": "billed"}
# Every view's tool with the arguments it is shown with (a view missing here fails the fit test below).
VIEW_ARGUMENTS: dict[str, dict[str, Any]] = {
    "budget_status": {},
    "unbilled_aging": {"per": "customer"},
    "report_hours": {"period": "this_month", "group_by": ["customer", "user"], "limit": 12},
    "utilization": {"period": "last_quarter", "by_week": True},
    "absence_queue": {"limit": 50},
}


async def test_budget_status_shows_each_projects_numbers_from_the_structured_result(rig):
    result = await rig.host.call("budget_status")
    data = result["structuredContent"]

    shown = await rig.host.show("budget_status", result)

    rows = shown.frame.locator("table.projects tbody tr")
    assert await rows.count() == len(data["projects"]) > 0
    for i, project in enumerate(data["projects"]):
        row = rows.nth(i)
        budget = project["budget"]
        assert (await row.locator("td.pct").inner_text()).strip() == f"{en(budget['pct_used'], 1)} %"
        amount = (
            f"{euros(budget['used_money'])} of {euros(budget['amount_money'])}"
            if budget["unit"] == "money"
            else f"{en(budget['used_hours'])} h of {en(budget['amount_hours'])} h"
        )
        assert (await row.locator("td.used").inner_text()).strip() == amount
    assert await shown.frame.locator(".chart canvas").count() >= 1
    assert await shown.text("p.summary") == data["summary"]


async def test_money_follows_the_hosts_locale(rig):
    result = await rig.host.call("budget_status")
    money = next(p["budget"] for p in result["structuredContent"]["projects"] if p["budget"]["unit"] == "money")[
        "amount_money"
    ]

    shown = await rig.host.show("budget_status", result, locale="de-DE")

    whole = f"{int(money['amount']):,}".replace(",", ".")
    assert f"{whole},{round(money['amount'] % 1 * 100):02d}\u00a0€" in await shown.text("table.projects tbody")


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("tool", sorted(VIEWS))
async def test_each_view_fits_a_narrow_and_a_wide_frame_in_both_themes(rig, tool, theme):
    if tool == "absence_queue":
        add_pending(rig, "Anna Schneider", "2026-12-15", "2026-12-17", 3.0)  # overlapping Sarah Chen's request
    arguments = VIEW_ARGUMENTS[tool]
    result = await rig.host.call(tool, **arguments)

    shown = await rig.host.show(tool, result, arguments, theme=theme, width=NARROW)
    narrow = await shown.overflows()
    await shown.screenshot(f"{tool}-{theme}-narrow")
    await shown.resize(WIDE)
    wide = await shown.overflows()
    await shown.screenshot(f"{tool}-{theme}-wide")

    assert await shown.frame.evaluate("() => document.documentElement.dataset.theme") == theme
    assert await shown.frame.evaluate("() => document.body.dataset.shown") == "data"
    assert (narrow, wide) == (False, False)
    assert await shown.host("sizes.length") >= 1


async def test_a_view_follows_the_host_into_the_dark_theme(rig):
    shown = await rig.host.show("budget_status", await rig.host.call("budget_status"))

    await rig.host.page.evaluate("() => window.changeContext({theme: 'dark'})")

    await shown.frame.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
    background = await shown.frame.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 26, 33)"


async def test_an_error_result_shows_the_servers_message_never_a_blank_frame(rig):
    result = await rig.host.call("budget_status", project="No such project anywhere")
    assert result["isError"]

    shown = await rig.host.show("budget_status", result)

    assert await shown.frame.evaluate("() => document.body.dataset.shown") == "error"
    assert "No such project anywhere" in await shown.text("[role=alert]")


async def test_a_result_without_data_shows_an_empty_state(rig):
    shown = await rig.host.show("budget_status", {"content": [{"type": "text", "text": "nothing"}]})

    assert await shown.frame.evaluate("() => document.body.dataset.shown") == "empty"
    assert await shown.text(".state") == "This answer has no data to show."


async def test_the_dialog_shows_the_invoice_lines_and_totals_of_a_billing_preview(rig):
    result = await rig.host.call("set_billing_state", **BILL)
    invoice = result["structuredContent"]["preview"]["invoice"]

    shown = await rig.host.show("set_billing_state", result, BILL)

    assert await shown.text(".total-hours") == f"{en(invoice['total_hours'])} h"
    assert await shown.text(".total-value") == euros(invoice["total_value"])
    assert await shown.text(".total-entries") == f"{en(invoice['entry_count'], 0)} entries"
    values = await shown.texts("table.invoice td.value")
    assert values == [euros(line["value"]) for line in invoice["lines"]]
    await shown.screenshot("confirm-billing")


async def test_clicking_confirm_applies_the_billing_run_exactly_once(rig):
    result = await rig.host.call("set_billing_state", **BILL)
    entries = result["structuredContent"]["preview"]["invoice"]["entry_count"]
    before = rig.billed()
    shown = await rig.host.show("set_billing_state", result, BILL)

    await shown.frame.locator("#confirm").click()
    await shown.frame.locator(".outcome .state.done").wait_for()

    assert rig.billed() == before + entries
    assert await shown.frame.locator("#confirm").is_disabled()
    assert [c["name"] for c in await shown.host("calls")] == ["confirm_write"]
    (change,) = [c for c in rig.runtime.store.list_changes(limit=5, offset=0) if c.tool == "set_billing_state"]
    assert change.status == "applied"
    assert change.change_id in await shown.text(".outcome")


async def test_confirm_can_be_reached_and_pressed_from_the_keyboard(rig):
    result = await rig.host.call("set_billing_state", **BILL)
    before = rig.billed()
    shown = await rig.host.show("set_billing_state", result, BILL)

    await shown.frame.locator("#confirm").focus()
    await rig.host.page.keyboard.press("Enter")
    await shown.frame.locator(".outcome .state.done").wait_for()

    assert rig.billed() > before


async def test_clicking_cancel_changes_nothing_and_is_audited(rig):
    result = await rig.host.call("set_billing_state", **BILL)
    before = rig.billed()
    shown = await rig.host.show("set_billing_state", result, BILL)

    await shown.frame.locator("#cancel").click()
    await shown.frame.locator(".outcome .state.done").wait_for()

    assert rig.billed() == before
    (change,) = [c for c in rig.runtime.store.list_changes(limit=5, offset=0) if c.tool == "set_billing_state"]
    assert (change.status, change.confirmed_by) == ("not_applied", "cancelled")


async def test_a_second_confirm_of_a_used_preview_shows_the_servers_refusal(rig):
    result = await rig.host.call("set_billing_state", **BILL)
    first = await rig.host.show("set_billing_state", result, BILL)
    await first.frame.locator("#confirm").click()
    await first.frame.locator(".outcome .state.done").wait_for()
    applied = rig.billed()

    again = await rig.host.show("set_billing_state", result, BILL)  # the same dialog, shown again
    await again.frame.locator("#confirm").click()
    refusal = again.frame.locator(".outcome .state.error")
    await refusal.wait_for()

    assert "already" in await refusal.inner_text()
    assert rig.billed() == applied


async def test_confirm_after_the_token_expired_shows_the_refusal_and_changes_nothing(rig):
    result = await rig.host.call("set_billing_state", **BILL)
    before = rig.billed()
    shown = await rig.host.show("set_billing_state", result, BILL)
    clock = rig.runtime.clock
    assert isinstance(clock, FrozenClock)

    clock.advance(rig.runtime.config.token_ttl_seconds + 1)
    await shown.frame.locator("#confirm").click()
    refusal = shown.frame.locator(".outcome .state.error")
    await refusal.wait_for()

    assert "expired" in await refusal.inner_text()
    assert rig.billed() == before


async def test_the_dialog_of_an_edit_shows_each_field_before_and_after_and_confirm_applies_it(rig):
    entry = rig.fake.state.store.entries[-1]
    edit = {"entry_id": entry.id, "text": "Workshop prep, revised", "duration": "2h"}
    result = await rig.host.call("edit_entry", **edit)
    moved = result["structuredContent"]["preview"]["changes"]
    shown = await rig.host.show("edit_entry", result, edit)

    text_row = shown.frame.locator("table.changes tr[data-field=text]")
    assert (await text_row.locator(".before").inner_text()).strip() == (moved["text"]["before"] or "–")
    assert (await text_row.locator(".after").inner_text()).strip() == "Workshop prep, revised"
    assert await shown.frame.locator("table.changes tr[data-field=hours] .after").inner_text() == "2"
    await shown.frame.locator("#confirm").click()
    await shown.frame.locator(".outcome .state.done").wait_for()

    assert next(e for e in rig.fake.state.store.entries if e.id == entry.id).text == "Workshop prep, revised"


WRITES = {
    "log_time": {
        "project": "Phoenix",
        "service": "Development",
        "date": "2026-11-22",
        "start": "10:00",
        "duration": "1h",
    },
    "start_timer": {"project": "Phoenix", "service": "Development"},
    "set_hourly_rate": {"project": "Phoenix", "hourly_rate": 120, "rerate_period": "this_month"},
    "set_project_budget": {"project": "Phoenix", "amount": 120, "unit": "hours"},
}


@pytest.mark.parametrize("tool", sorted(WRITES))
async def test_every_writes_preview_renders_in_the_dialog_with_its_buttons(rig, tool):
    result = await rig.host.call(tool, **WRITES[tool])
    assert result.get("structuredContent", {}).get("status") == "preview", result["content"]

    shown = await rig.host.show(tool, result, WRITES[tool], width=NARROW)

    assert await shown.frame.evaluate("() => document.body.dataset.shown") == "data"
    assert await shown.frame.locator("#confirm").is_enabled()
    assert not await shown.overflows()
    await shown.screenshot(f"confirm-{tool}-narrow")
