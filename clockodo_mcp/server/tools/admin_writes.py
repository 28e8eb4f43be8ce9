"""Admin writes behind the confirmation gate: set_project_budget and decide_absence.

Each is a `WriteSpec`: the argument model and the plan live in `domain/writes/admin.py` (a batch of absences in
`absence_batch.py`), the output model here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, WithJsonSchema

from clockodo_mcp.domain.views import AS_OBJECT
from clockodo_mcp.domain.writes import admin
from clockodo_mcp.domain.writes.absence_batch import AbsencesBefore, AbsencesResult, DecideAbsencesPreview
from clockodo_mcp.domain.writes.admin import (
    AbsenceResult,
    AbsenceShown,
    BudgetBefore,
    BudgetResult,
    DecideAbsenceArgs,
    DecideAbsencePreview,
    SetProjectBudgetArgs,
    SetProjectBudgetPreview,
)
from clockodo_mcp.server.gate import WriteOut
from clockodo_mcp.server.writes import WriteSpec, write_tool


class SetProjectBudgetOut(WriteOut[SetProjectBudgetPreview, BudgetResult, BudgetBefore]):
    """set_project_budget: the budget before → after and the usage against both (preview), the stored budget."""


def _either(*models: type[BaseModel]) -> dict[str, Any]:
    """One object schema for several models: the union of their fields (nested parts are plain objects already),
    those all of them have required. Cheaper in tools/list than an anyOf of the models."""
    properties: dict[str, Any] = {}
    for model in models:
        for name, schema in model.model_json_schema()["properties"].items():
            properties.setdefault(name, {k: v for k, v in schema.items() if k != "title"})
    required = [n for n in properties if all(n in m.model_json_schema().get("required", []) for m in models)]
    return {"type": "object", "properties": properties, "required": required}


# One request's preview, or a batch's (absence_ids): each request's preview and the totals.
AbsencePreviews = Annotated[
    DecideAbsencePreview | DecideAbsencesPreview, WithJsonSchema(_either(DecideAbsencePreview, DecideAbsencesPreview))
]


class DecideAbsenceOut(
    WriteOut[
        AbsencePreviews,
        Annotated[AbsenceResult | AbsencesResult, AS_OBJECT],
        Annotated[AbsenceShown | AbsencesBefore, AS_OBJECT],
    ]
):
    """decide_absence: the request(s), days, quota and overlapping teammates (preview), the absence(s) after."""


set_project_budget = write_tool(
    WriteSpec(
        name="set_project_budget",
        title="Set a project budget",
        toolset="projects",
        destructive=True,
        idempotent=True,
        args=SetProjectBudgetArgs,
        plan=admin.set_project_budget,
        output=SetProjectBudgetOut,
        doc="""Set a project's budget: amount in hours or money, hard or soft, notification thresholds.

        E.g. "raise the Phoenix budget to 120 hours" → set_project_budget(project="Phoenix", amount=120, unit="hours").
        """,
    )
)

decide_absence = write_tool(
    WriteSpec(
        name="decide_absence",
        title="Approve or decline an absence",
        toolset="people",
        destructive=True,
        idempotent=True,
        args=DecideAbsenceArgs,
        plan=admin.decide_absence,
        output=DecideAbsenceOut,
        doc="""Approve or decline pending absence requests (by absence_id, user + a date it covers, or absence_ids).

    The preview shows the days, holiday quota before/after and overlapping teammates. Undo of an approval cancels it;
    a decline cannot be undone. E.g. decide_absence(decision="approve", user="Sarah Chen", date="2026-12-14").
        """,
    )
)
