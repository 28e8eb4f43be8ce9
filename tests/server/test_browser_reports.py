"""The report views in a real browser (chromium): unbilled_aging's bars by age and report_hours' sortable table show
the tool's numbers, fit narrow and wide frames in both themes, say so when there is nothing to show, and sort from
the keyboard."""

from __future__ import annotations

import pytest

from tests.server.browser import en, euros, needs_browser

pytestmark = [pytest.mark.slow, needs_browser]

BUCKETS = ["0-30", "31-60", "61-90", "over_90"]
AGING = {"per": "customer"}
HOURS = {"period": "this_month", "group_by": ["customer", "user"], "limit": 12}


def hours(value: float) -> str:
    return f"{en(value)} h"


async def test_the_aging_table_shows_each_customers_money_and_hours_per_bucket_from_the_structured_result(rig):
    result = await rig.host.call("unbilled_aging", **AGING)
    data = result["structuredContent"]

    shown = await rig.host.show("unbilled_aging", result, AGING)

    rows = shown.frame.locator("table.aging tbody tr")
    assert await rows.count() == len(data["rows"]) > 0
    for i, expected in enumerate(data["rows"]):
        row = rows.nth(i)
        assert (await row.locator("th.name").inner_text()).strip() == expected["name"]
        for bucket in BUCKETS:
            cell = row.locator(f'td[data-bucket="{bucket}"]')
            assert (await cell.locator(".money").inner_text()).strip() == euros(expected["buckets"][bucket]["value"])
            assert (await cell.locator(".hours").inner_text()).strip() == hours(expected["buckets"][bucket]["hours"])
        assert (await row.locator("td.total .money").inner_text()).strip() == euros(expected["total_value"])
        assert (await row.locator("td.total .hours").inner_text()).strip() == hours(expected["total_hours"])
    footer = shown.frame.locator("table.aging tfoot tr")
    for bucket in BUCKETS:
        money = await footer.locator(f'td[data-bucket="{bucket}"] .money').inner_text()
        assert money.strip() == euros(data["totals"][bucket]["value"])
    assert (await footer.locator("td.total .money").inner_text()).strip() == euros(data["total_value"])
    assert (await footer.locator("th").inner_text()).strip() == f"All {data['paging']['total']} customers"
    assert await shown.text("p.summary") == data["summary"]


async def test_the_aging_chart_stacks_one_bar_per_customer_by_bucket_on_a_money_axis_with_a_legend(rig):
    result = await rig.host.call("unbilled_aging", **AGING)
    data = result["structuredContent"]

    shown = await rig.host.show("unbilled_aging", result, AGING)

    bars = shown.frame.locator("figure.hbars .hbars-row:not(.hbars-axis)")
    assert await bars.count() == len(data["rows"])
    assert await shown.texts("figure.hbars .hbars-label .name") == [r["name"] for r in data["rows"]]
    first = data["rows"][0]
    segments = bars.first.locator(".hbars-seg")
    expected = [b for b in BUCKETS if first["buckets"][b]["value"]["amount"] > 0]
    assert [await segments.nth(i).get_attribute("data-series") for i in range(await segments.count())] == expected
    ticks = await shown.texts("figure.hbars .hbars-ticks span")
    assert ticks[0] == "€0"
    assert len(ticks) >= 3
    assert all(t.startswith("€") for t in ticks)
    assert await shown.texts(".hbars-legend li") == ["0–30 days", "31–60 days", "61–90 days", "over 90 days"]


async def test_the_aging_view_groups_by_project_when_the_result_does(rig):
    arguments = {"per": "project", "customer": "Acme Corp"}
    result = await rig.host.call("unbilled_aging", **arguments)
    data = result["structuredContent"]

    shown = await rig.host.show("unbilled_aging", result, arguments)

    assert await shown.text("table.aging thead th") == "Project"
    assert await shown.texts("table.aging tbody th.name") == [r["name"] for r in data["rows"]]
    assert await shown.text("table.aging tfoot th") == "Total"


async def test_where_clockodo_hides_money_the_aging_view_shows_hours_only(rig):
    result = await rig.host.call("unbilled_aging", **AGING)
    data = result["structuredContent"]
    data["visibility"] = {"covers": "own_entries", "money_visible": False, "note": "Only your own entries."}

    shown = await rig.host.show("unbilled_aging", result, AGING)

    assert await shown.frame.locator("table.aging .money").count() == 0
    first = shown.frame.locator("table.aging tbody tr").first
    assert await first.locator("td.total .hours").inner_text() == hours(data["rows"][0]["total_hours"])
    assert all(t.endswith(" h") for t in await shown.texts("figure.hbars .hbars-ticks span"))
    assert "does not show you money" in await shown.text("p.legend")


async def test_a_customer_with_nothing_unbilled_shows_the_aging_views_empty_state(rig):
    arguments = {"customer": "Brightside Internal"}
    result = await rig.host.call("unbilled_aging", **arguments)
    assert result["structuredContent"]["rows"] == []

    shown = await rig.host.show("unbilled_aging", result, arguments)

    assert await shown.frame.evaluate("() => document.body.dataset.shown") == "empty"
    expected = "No unbilled work for any customer in the last 730 days (as of 2026-11-24)."
    assert await shown.text(".state.empty") == expected
    assert await shown.frame.locator("figure.hbars, table").count() == 0


async def test_the_hours_table_shows_each_groups_numbers_and_the_totals_from_the_structured_result(rig):
    result = await rig.host.call("report_hours", **HOURS)
    data = result["structuredContent"]

    shown = await rig.host.show("report_hours", result, HOURS)

    rows = shown.frame.locator("table.groups tbody tr")
    assert await rows.count() == len(data["groups"]) > 0
    for i, group in enumerate(data["groups"]):
        row = rows.nth(i)
        assert await row.locator(".dim").all_inner_texts() == [group["key"]["customer"], group["key"]["user"]]
        assert (await row.locator("td.hours").inner_text()).strip() == en(group["hours"])
        assert (await row.locator("td.value").inner_text()).strip() == euros(group["value"])
        unbilled = group["hours_by_billing"].get("unbilled", 0)
        assert (await row.locator("td.unbilled").inner_text()).strip() == en(unbilled)
    assert await shown.text(".total-hours dd") == hours(data["total_hours"])
    assert await shown.text(".total-value dd") == euros(data["total_value"])
    assert await shown.text(".total-rate dd") == f"{euros(data['blended_rate'])}/h"
    assert await shown.text(".total-entries dd") == en(data["entry_count"], 0)
    assert await shown.text("table.groups tfoot td.hours") == en(data["total_hours"])
    assert await shown.text("table.groups tfoot td.value") == euros(data["total_value"])
    labels = await shown.texts("figure.hbars .hbars-label .name")
    assert labels == [f"{g['key']['customer']} / {g['key']['user']}" for g in data["groups"]]
    assert all(t.endswith(" h") for t in await shown.texts("figure.hbars .hbars-ticks span"))


async def test_sorting_the_hours_table_from_the_keyboard_reorders_the_rows_and_the_chart(rig):
    result = await rig.host.call("report_hours", **HOURS)
    groups = result["structuredContent"]["groups"]
    shown = await rig.host.show("report_hours", result, HOURS)
    keyboard = rig.host.page.keyboard
    header = shown.frame.locator("table.groups th.hours")
    names = "table.groups tbody tr .dim:nth-child(2)"

    await header.locator("button").focus()
    await keyboard.press("Enter")
    by_hours = [g["key"]["user"] for g in sorted(groups, key=lambda g: -g["hours"])]
    assert (await header.get_attribute("aria-sort"), await shown.texts(names)) == ("descending", by_hours)
    await keyboard.press("Space")
    fewest = [g["key"]["user"] for g in sorted(groups, key=lambda g: g["hours"])]
    assert (await header.get_attribute("aria-sort"), await shown.texts(names)) == ("ascending", fewest)
    assert await shown.frame.evaluate("() => document.activeElement.dataset.column") == "hours"

    await keyboard.press("Shift+Tab")  # to the Employee column's button
    await keyboard.press("Enter")
    employee = shown.frame.locator("table.groups th.dim").nth(1)
    alphabetical = [g["key"]["user"] for g in sorted(groups, key=lambda g: g["key"]["user"].casefold())]
    assert (await employee.get_attribute("aria-sort"), await shown.texts(names)) == ("ascending", alphabetical)
    assert await header.get_attribute("aria-sort") == "none"
    chart = await shown.texts("figure.hbars .hbars-label .name")
    assert [label.split(" / ")[1] for label in chart] == alphabetical


async def test_the_chosen_order_survives_the_host_switching_to_the_dark_theme(rig):
    result = await rig.host.call("report_hours", **HOURS)
    shown = await rig.host.show("report_hours", result, HOURS)
    await shown.frame.locator("table.groups th.value button").click()
    await shown.frame.locator("table.groups th.value button").click()

    await rig.host.page.evaluate("() => window.changeContext({theme: 'dark'})")
    await shown.frame.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")

    cheapest = sorted(result["structuredContent"]["groups"], key=lambda g: g["value"]["amount"])
    assert await shown.frame.locator("table.groups th.value").get_attribute("aria-sort") == "ascending"
    assert await shown.texts("table.groups tbody td.value") == [euros(g["value"]) for g in cheapest]


async def test_a_period_without_hours_shows_the_hours_views_empty_state(rig):
    arguments = {"period": "2020-01"}
    result = await rig.host.call("report_hours", **arguments)
    assert result["structuredContent"]["groups"] == []

    shown = await rig.host.show("report_hours", result, arguments)

    assert await shown.frame.evaluate("() => document.body.dataset.shown") == "empty"
    expected = "No hours (all) in 2020-01-01 – 2020-01-31 match, so there is nothing to group by project."
    assert await shown.text(".state.empty") == expected
    assert await shown.frame.locator("figure.hbars, table").count() == 0
