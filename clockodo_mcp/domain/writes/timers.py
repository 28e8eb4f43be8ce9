"""Timer writes: start_timer (stopping a running one) and stop_timer — argument models, previews, results, plans."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from clockodo_mcp.clockodo import Billable, Entry, EntryType
from clockodo_mcp.domain.argtypes import NameArg, NameValue, TextArg
from clockodo_mcp.domain.undo import RestartTimer, UnstartTimer
from clockodo_mcp.domain.views import EntryOut, EntryShown, Money, View, hours
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.entries import (
    default_billable,
    describe,
    entry_value,
    local_hhmm,
    resolve_booking,
    resolve_service,
    running_of,
    shown,
    snapshot,
)
from clockodo_mcp.domain.writes.expect import TimerStarted, TimerStopped
from clockodo_mcp.domain.writes.plan import NOTHING, Applied, Plan, WriteArgs, WriteRejected
from clockodo_mcp.domain.writes.time_entries import BillableArg
from clockodo_mcp.domain.writes.timeinput import MAX_SECONDS

TimerUserArg = Annotated[NameValue | None, Field(description="Whose timer (name or id); default: you, the API user.")]


def unstart(started: Entry, previous: Entry | None, stopped: Entry | None) -> UnstartTimer:
    """Undo of starting a timer: delete it; restart the timer it stopped, if any."""
    return UnstartTimer(
        entry_id=started.id,
        expect_running=snapshot(started),
        previous=snapshot(previous) if previous else None,
        expect_stopped=snapshot(stopped) if stopped else None,
    )


def restart_stopped(stopped: Entry) -> RestartTimer:
    """Undo of stopping a timer: replace the stopped entry by a timer running since its start."""
    snap = snapshot(stopped)
    return RestartTimer(entry=snap, delete=snap, expect_running=None, stop_at=snap["time_until"])


# -- start_timer ----------------------------------------------------------------------------------------


class StartTimerArgs(WriteArgs):
    """start_timer's arguments."""

    project: NameArg = None
    customer: NameArg = None
    service: NameArg = None
    text: Annotated[TextArg | None, Field(description="What is being worked on.")] = None
    billable: BillableArg = None
    user: TimerUserArg = None


class NewTimer(View):
    """The timer start_timer will start, names resolved; the start is local."""

    user: str
    customer: str
    project: str | None
    service: str
    start: str | None
    billing: str
    text: str | None


class StartTimerPreview(View):
    """The timer to start and the running one it stops (if any)."""

    action: str
    timer: NewTimer
    stops_running_timer: EntryShown | None


class StartedTimer(View):
    """The timer running now, and the one it stopped (if any)."""

    running: EntryShown
    stopped: EntryShown | None


class RunningBefore(View):
    """The user's running timer before the write."""

    running: EntryShown | None


async def start_timer(args: StartTimerArgs, deps: WriteDeps) -> Plan[StartTimerPreview, StartedTimer]:
    """Plan starting a timer from now; a running one of the same user is stopped."""
    master = deps.master
    users_id = master.resolve("user", args.user).id if args.user is not None else deps.account.user.id
    customers_id, projects_id = resolve_booking(deps, args.customer, args.project)
    services_id = resolve_service(deps, args.service)
    bill = args.billable if args.billable is not None else default_billable(deps, customers_id, projects_id)
    billable = Billable.BILLABLE if bill else Billable.NOT_BILLABLE
    running = await running_of(deps, users_id)
    new = NewTimer(
        user=master.user_name(users_id),
        customer=master.customer_name(customers_id),
        project=master.project_name(projects_id) if projects_id else None,
        service=master.service_name(services_id),
        start=local_hhmm(deps, deps.now()),
        billing="unbilled" if bill else "not_billable",
        text=args.text,
    )
    warnings = [f"The running timer will be stopped now: {describe(deps, running)}."] if running else []

    async def apply() -> Applied[StartedTimer]:
        started = await deps.client.clock.start(
            customers_id,
            services_id,
            projects_id=projects_id,
            billable=billable,
            text=args.text,
            users_id=None if users_id == deps.account.user.id else users_id,
        )
        if started.running is None:
            raise WriteRejected("Clockodo did not start the timer (no running entry in its answer).")
        entry = await deps.client.entries.get(started.running.id)
        stopped = await deps.client.entries.get(running.id) if running else None
        return Applied(
            after=StartedTimer(running=shown(deps, entry), stopped=shown(deps, stopped) if stopped else None),
            ids={"entries": [entry.id] + ([stopped.id] if stopped else [])},
            undo=unstart(entry, running, stopped),
            summary=f"Started the timer: {describe(deps, entry)}"
            + (f"; stopped {describe(deps, stopped)}." if stopped else "."),
        )

    return Plan(
        summary=f"Will start a timer for {new.user} on {new.project or new.customer} / {new.service}"
        + (f" and stop the running {describe(deps, running)}." if running else "."),
        preview=StartTimerPreview(
            action="start a timer", timer=new, stops_running_timer=shown(deps, running) if running else None
        ),
        target={"running": snapshot(running) if running else None},
        before=RunningBefore(running=shown(deps, running) if running else None),
        apply=apply,
        warnings=warnings,
        expect=TimerStarted(
            users_id=users_id,
            fields={
                "type": int(EntryType.TIME),
                "users_id": users_id,
                "customers_id": customers_id,
                "projects_id": projects_id,
                "services_id": services_id,
                "text": args.text,
                "billable": int(billable),
                "time_until": None,
            },
            previous=snapshot(running) if running else None,
        ),
    )


# -- stop_timer -----------------------------------------------------------------------------------------


class StopTimerArgs(WriteArgs):
    """stop_timer's arguments."""

    user: TimerUserArg = None


class StopTimerPreview(View):
    """The running timer, when it stops, and what it is worth then."""

    action: str
    timer: EntryShown
    stop_at: str | None
    hours: float
    value: Money | None


async def stop_timer(args: StopTimerArgs, deps: WriteDeps) -> Plan[StopTimerPreview, EntryOut]:
    """Plan stopping a user's running timer now."""
    users_id = deps.master.resolve("user", args.user).id if args.user is not None else deps.account.user.id
    running = await running_of(deps, users_id)
    if running is None:
        raise WriteRejected(
            f"No timer is running for {deps.master.user_name(users_id)}. {NOTHING} Start one with start_timer, "
            "or log finished work with log_time."
        )
    now = deps.now()
    seconds = int((now - running.time_since).total_seconds())
    warnings = []
    if seconds > MAX_SECONDS:
        warnings.append("The timer has run for more than 24 hours: Clockodo will cut it to 24 hours.")
    value = entry_value(running, min(seconds, MAX_SECONDS))

    async def apply() -> Applied[EntryOut]:
        own = users_id == deps.account.user.id
        await deps.client.clock.stop(running.id, users_id=None if own else users_id)
        entry = await deps.client.entries.get(running.id)
        return Applied(
            after=shown(deps, entry),
            ids={"entries": [entry.id]},
            undo=restart_stopped(entry),
            summary=f"Stopped the timer: {describe(deps, entry)}, {hours(entry.duration or 0):g} h.",
        )

    return Plan(
        summary=f"Will stop {describe(deps, running)} now, after {hours(seconds):g} h.",
        preview=StopTimerPreview(
            action="stop the timer",
            timer=shown(deps, running),
            stop_at=local_hhmm(deps, now),
            hours=hours(min(seconds, MAX_SECONDS)),
            value=Money.of(value, deps.currency) if value is not None else None,
        ),
        target={"running": snapshot(running)},
        before=shown(deps, running),
        apply=apply,
        warnings=warnings,
        expect=TimerStopped(entry_id=running.id, before=snapshot(running)),
    )
