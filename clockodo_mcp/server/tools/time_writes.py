"""Time-entry writes behind the confirmation gate: log_time, edit_entry, delete_entry, start_timer, stop_timer.

Each is a `WriteSpec`: the argument model and the plan live in `domain/writes/`, the output model here.
"""

from __future__ import annotations

from clockodo_mcp.domain.views import EntryShown
from clockodo_mcp.domain.writes import time_entries, timers
from clockodo_mcp.domain.writes.time_entries import (
    DeleteEntryArgs,
    EditEntryArgs,
    EditEntryPreview,
    EntryPreview,
    LogTimeArgs,
    LogTimePreview,
)
from clockodo_mcp.domain.writes.timers import (
    RunningBefore,
    StartedTimer,
    StartTimerArgs,
    StartTimerPreview,
    StopTimerArgs,
    StopTimerPreview,
)
from clockodo_mcp.server.gate import WriteOut
from clockodo_mcp.server.writes import WriteSpec, write_tool


class LogTimeOut(WriteOut[LogTimePreview, EntryShown, None]):
    """log_time: the entry to create (preview) or the entry created (after)."""


class EditEntryOut(WriteOut[EditEntryPreview, EntryShown, EntryShown]):
    """edit_entry: the changes to make (preview), the entry before and after."""


class DeleteEntryOut(WriteOut[EntryPreview, None, EntryShown]):
    """delete_entry: the entry to delete (preview, before)."""


class StartTimerOut(WriteOut[StartTimerPreview, StartedTimer, RunningBefore]):
    """start_timer: the timer to start and the running one it stops; after: the timer running now."""


class StopTimerOut(WriteOut[StopTimerPreview, EntryShown, EntryShown]):
    """stop_timer: the timer to stop (preview, before) and the finished entry (after)."""


log_time = write_tool(
    WriteSpec(
        name="log_time",
        title="Log time",
        toolset="time",
        destructive=False,
        idempotent=False,
        args=LogTimeArgs,
        plan=time_entries.log_time,
        output=LogTimeOut,
        doc="""Log a finished time entry on a project (or customer) and a service: a duration or start/end.

        A bare duration goes after the user's last entry that day (09:00 if none); duplicates and overlaps are refused
        unless allowed. E.g. log_time(project="Website Redesign", service="Design", duration="3h", text="Wireframes").
        """,
    )
)

edit_entry = write_tool(
    WriteSpec(
        name="edit_entry",
        title="Edit a time entry",
        toolset="time",
        destructive=True,
        idempotent=True,
        args=EditEntryArgs,
        plan=time_entries.edit_entry,
        output=EditEntryOut,
        doc="""Change one entry: day, start, end or duration, text, customer/project/service, billing state.

        Only the fields passed change: `start` alone moves the entry, `end` or `duration` alone changes its length.
        E.g. edit_entry(entry_id=812, duration="2h", text="Sprint review").
        """,
    )
)

delete_entry = write_tool(
    WriteSpec(
        name="delete_entry",
        title="Delete a time entry",
        toolset="time",
        destructive=True,
        idempotent=True,
        args=DeleteEntryArgs,
        plan=time_entries.delete_entry,
        output=DeleteEntryOut,
        doc="""Delete one entry (time, lump sum or a running timer); undo recreates it under a new id.

        E.g. delete_entry(entry_id=812).
        """,
    )
)

start_timer = write_tool(
    WriteSpec(
        name="start_timer",
        title="Start a timer",
        toolset="time",
        destructive=False,
        idempotent=False,
        args=StartTimerArgs,
        plan=timers.start_timer,
        output=StartTimerOut,
        doc="""Start a timer on a project (or customer) and a service, from now; a running one is stopped.

        E.g. start_timer(project="Phoenix", service="Development", text="Bug triage").
        """,
    )
)

stop_timer = write_tool(
    WriteSpec(
        name="stop_timer",
        title="Stop a timer",
        toolset="time",
        destructive=True,
        idempotent=False,
        args=StopTimerArgs,
        plan=timers.stop_timer,
        output=StopTimerOut,
        doc="""Stop a running timer now (yours, or another user's with user=…); it becomes a finished time entry.""",
    )
)
