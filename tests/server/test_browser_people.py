"""The people views in a real browser (chromium): utilization against the target with its week-by-week heat-map,
and the calendar of pending absence requests. They show the tool's numbers, fit narrow and wide frames in both
themes, say plainly when there is nothing to show, and every request can be reached from the keyboard."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.server.browser import add_pending, en, needs_browser

pytestmark = [pytest.mark.slow, needs_browser]

UTILIZATION = {"period": "last_quarter", "by_week": True}
QUEUE = {"limit": 50}


def pct(value: float | None) -> str:
    return "no target" if value is None else f"{en(value, 1)} %"


def short(iso: str, year: int) -> str:
    """A date as the queue view shows it in en-US: "Dec 14", with the year when it is not the current one."""
    day = date.fromisoformat(iso)
    return f"{day:%b} {day.day}" + (f", {day.year}" if day.year != year else "")


def days_away(requests: list[dict[str, Any]]) -> dict[str, set[int]]:
    """ISO day → the people away on it: the requesters and their teammates' approved overlapping absences."""
    spans = [(r["absence"]["users_id"], r["absence"]["date_since"], r["absence"]["date_until"]) for r in requests]
    spans += [(o["users_id"], o["date_since"], o["date_until"]) for r in requests for o in r["overlaps"]]
    away: dict[str, set[int]] = {}
    for who, since, until in spans:
        day = date.fromisoformat(since)
        while day <= date.fromisoformat(until):
            away.setdefault(day.isoformat(), set()).add(who)
            day += timedelta(days=1)
    return away


# -- utilization ----------------------------------------------------------------------------------------------------


async def test_utilization_shows_each_rows_hours_and_percentage_from_the_structured_result(rig):
    result = await rig.host.call("utilization", **UTILIZATION)
    data = result["structuredContent"]

    shown = await rig.host.show("utilization", result, UTILIZATION)

    for kind, rows in (("team", data["teams"]), ("user", data["users"]), ("total", [data["total"]])):
        shown_rows = shown.frame.locator(f"table.utilization tr[data-kind={kind}]")
        assert await shown_rows.count() == len(rows) > 0, kind
        for i, row in enumerate(rows):
            line = shown_rows.nth(i)
            assert (await line.locator("td.worked").inner_text()).strip() == f"{en(row['worked_hours'])} h"
            assert (await line.locator("td.target").inner_text()).strip() == f"{en(row['target_hours'])} h"
            assert (await line.locator("td.pct").inner_text()).strip() == pct(row["utilization_pct"])
            label = await line.locator(".meter[role=img]").get_attribute("aria-label")
            assert label.endswith(f"{en(row['utilization_pct'], 1)} % of the target")
    assert await shown.text("p.summary") == data["summary"]


async def test_the_heat_map_has_a_cell_per_person_and_week_labelled_with_its_percentage(rig):
    result = await rig.host.call("utilization", **UTILIZATION)
    data = result["structuredContent"]
    assert len(data["weeks"]) == 14  # 2026-07-01 (a Wednesday) to 2026-09-30

    shown = await rig.host.show("utilization", result, UTILIZATION)

    heads = await shown.texts("table.heat th.week")
    assert [h.split("\n")[0] for h in heads] == ["W" + w.split("-W")[1] for w in data["weeks"]]
    for kind, rows in (("team", data["teams"]), ("user", data["users"])):
        lines = shown.frame.locator(f"table.heat tr[data-kind={kind}]")
        assert await lines.count() == len(rows)
        for i, row in enumerate(rows):
            cells = lines.nth(i).locator("td.cell")
            texts = [t.strip() for t in await cells.all_inner_texts()]
            assert texts == ["–" if p is None else en(p, 0) for p in row["weeks_pct"]], row["name"]
            first = row["weeks_pct"][0]
            label = await cells.first.get_attribute("aria-label")
            assert label.startswith(f"{row['name']}, {data['weeks'][0]}")
            assert label.endswith("no target hours" if first is None else f": {en(first, 0)} % of the target")


async def test_utilization_without_by_week_shows_the_bars_and_says_how_to_get_the_heat_map(rig):
    result = await rig.host.call("utilization", period="this_month")
    assert "weeks" not in result["structuredContent"]

    shown = await rig.host.show("utilization", result, {"period": "this_month"})

    assert await shown.frame.locator("table.utilization tr[data-kind=user]").count() > 0
    assert await shown.frame.locator("table.heat").count() == 0
    assert "by_week" in await shown.text("main")


async def test_utilization_with_nobody_in_scope_shows_an_empty_state(rig):
    arguments = {"period": "2027-02", "user": "Jan Kowalski"}  # left the company: no hours, no target
    result = await rig.host.call("utilization", **arguments)
    assert result["structuredContent"]["users"] == result["structuredContent"]["teams"] == []

    shown = await rig.host.show("utilization", result, arguments)

    assert await shown.text(".state") == (
        "Nobody to show: no employee has hours or target hours in this period and scope."
    )
    assert await shown.frame.locator("table").count() == 0


# -- absence_queue --------------------------------------------------------------------------------------------------


async def test_the_queue_lists_each_request_with_its_days_and_overlaps_from_the_structured_result(rig):
    add_pending(rig, "Anna Schneider", "2026-12-15", "2026-12-17", 3.0)
    result = await rig.host.call("absence_queue", **QUEUE)
    data = result["structuredContent"]
    year = int(data["as_of"][:4])

    shown = await rig.host.show("absence_queue", result, QUEUE)

    rows = shown.frame.locator("table.requests tbody tr")
    assert await rows.count() == len(data["requests"]) == 7
    for i, request in enumerate(data["requests"]):
        row, absence = rows.nth(i), request["absence"]
        amount = f"{en(absence['hours'])} h" if absence.get("days") is None else f"{en(absence['days'])} d"
        span = short(absence["date_since"], year)
        if absence["date_until"] != absence["date_since"]:
            span += f" – {short(absence['date_until'], year)}"
        assert await row.get_attribute("data-absence-id") == str(absence["id"])
        assert (await row.locator("td.who").inner_text()).strip() == absence["user"]
        assert (await row.locator("td.span").inner_text()).strip() == span
        assert (await row.locator("td.amount").inner_text()).strip() == amount
        assert (await row.locator("td.overlaps").inner_text()).strip() == str(request["overlap_count"])
        bar = shown.frame.locator(f".cal .bar.pending[data-absence-id='{absence['id']}']")
        assert await bar.count() == 1  # every request here lies within one month
    assert await shown.text("p.summary") == data["summary"]


async def test_the_calendar_highlights_the_days_two_or_more_people_would_be_away(rig):
    anna = add_pending(rig, "Anna Schneider", "2026-12-15", "2026-12-17", 3.0)  # Sarah Chen asks for 14–18
    result = await rig.host.call("absence_queue", **QUEUE)
    requests = result["structuredContent"]["requests"]
    away = days_away(requests)
    asking = days_away([{**r, "overlaps": []} for r in requests])
    expected = sorted(day for day, people in away.items() if len(people) >= 2 and day in asking)

    shown = await rig.host.show("absence_queue", result, QUEUE)

    clashes = await shown.frame.locator(".cal .day.clash").evaluate_all("(days) => days.map((d) => d.dataset.day)")
    assert clashes == expected
    assert {"2026-12-15", "2026-12-16", "2026-12-17", "2026-12-18"} <= set(clashes)
    assert await shown.frame.locator(f".cal .bar.pending.clashing[data-absence-id='{anna}']").count() == 1
    jonas = shown.frame.locator(".cal .bar.approved")
    assert "Jonas Wagner" in (await jonas.first.get_attribute("aria-label") or "")
    weekend = await shown.frame.locator(".cal .day.weekend").evaluate_all("(days) => days.map((d) => d.dataset.day)")
    assert weekend
    assert all(date.fromisoformat(d).weekday() >= 5 for d in weekend)
    await shown.screenshot("absence_queue-overlaps")


async def test_the_calendar_marks_the_public_holidays_of_the_answer_with_their_names(rig):
    result = await rig.host.call("absence_queue", **QUEUE)
    holidays = {h["date"]: h["name"] for h in result["structuredContent"]["nonbusiness_days"]}
    assert holidays["2026-12-25"] == "Christmas Day"

    shown = await rig.host.show("absence_queue", result, QUEUE)

    marked = shown.frame.locator(".cal .day.holiday")
    days = await marked.evaluate_all("(days) => days.map((d) => d.dataset.day)")
    assert days == sorted(d for d in holidays if d[:7] in {x[:7] for x in days})
    christmas = shown.frame.locator(".cal .day[data-day='2026-12-25']")
    assert "Christmas Day" in (await christmas.get_attribute("title") or "")


async def test_a_request_can_be_chosen_from_the_keyboard_in_the_calendar_and_in_the_list(rig):
    result = await rig.host.call("absence_queue", **QUEUE)
    first = result["structuredContent"]["requests"][0]["absence"]["id"]
    shown = await rig.host.show("absence_queue", result, QUEUE)

    await shown.frame.locator("body").focus()
    await rig.host.page.keyboard.press("Tab")
    focused = await shown.frame.evaluate("() => document.activeElement.className")
    assert "bar pending" in focused  # the calendar's first request is the first stop
    bar = shown.frame.locator(f".cal .bar.pending[data-absence-id='{first}']")
    await bar.focus()
    await rig.host.page.keyboard.press("Enter")

    row = shown.frame.locator(f"table.requests tr[data-absence-id='{first}']")
    assert "chosen" in (await row.get_attribute("class") or "")
    assert await shown.frame.evaluate("() => document.activeElement.closest('tr').dataset.absenceId") == str(first)
    await rig.host.page.keyboard.press("Enter")  # from the list back to the calendar
    assert await shown.frame.evaluate("() => document.activeElement.dataset.absenceId") == str(first)
    assert "chosen" in (await bar.get_attribute("class") or "")


async def test_an_empty_queue_shows_an_empty_state(rig):
    arguments = {"min_age_days": 3650}
    result = await rig.host.call("absence_queue", **arguments)
    assert result["structuredContent"]["requests"] == []

    shown = await rig.host.show("absence_queue", result, arguments)

    assert await shown.text(".state") == "No absence request is waiting for approval."
    assert await shown.frame.locator(".cal").count() == 0


# -- both -----------------------------------------------------------------------------------------------------------
