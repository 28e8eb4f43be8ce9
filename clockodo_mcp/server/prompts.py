"""Prompts for the workflows people run: each a guided sequence of our tools, with the exact arguments to pass.

    month_close              report → invoice preview → the human confirms → confirm → verify
    weekly_utilization       utilization per person and team, then where the hours went
    budget_check_in          budgets by % used and forecast, then the burn of the riskiest
    absence_queue_review     pending requests with overlaps and quota, decided in a batch once the human says so
    forgotten_timer_sweep    timers running too long, each stopped or corrected only after the human says so

Every step's arguments are validated by the tool's own strict argument model when the prompt is rendered, so a bad
period or a typo is refused here (invalid params, naming what is allowed) instead of failing midway through the
workflow, and a prompt can never suggest a call its tool would refuse. Arguments a step can only know later (a
confirm_token, an absence_id) are written as placeholders and left to the agent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from mcp.server import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import Field, ValidationError

from clockodo_mcp.domain.periods import PeriodError, parse_period
from clockodo_mcp.server.arguments import explain
from clockodo_mcp.server.registry import REGISTRY, ToolSpec


@dataclass(frozen=True, slots=True)
class Step:
    """One tool call of a workflow: what to pass, what it is for, and arguments known only at that point."""

    tool: str
    args: Mapping[str, Any]
    why: str
    later: Mapping[str, str] = field(default_factory=dict)  # argument → what to put there
    ask_first: bool = False  # a write: show the preview and wait for the human's explicit yes


def _model(spec: ToolSpec) -> Any:
    from clockodo_mcp.server.app import served_tool

    return served_tool(spec).fn_metadata.arg_model


def checked(prompt: str, steps: list[Step], served: set[str]) -> list[Step]:
    """The steps, each validated by its tool's strict argument model; MCPError (invalid params) otherwise."""
    for step in steps:
        if step.tool not in served:
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"The prompt {prompt} needs the tool {step.tool}, which this server does not serve "
                "(read-only mode or --toolsets): start it with that tool's toolset.",
            )
        arguments = {**step.args, **{name: _placeholder_value(name) for name in step.later}}
        try:
            _model(REGISTRY[step.tool]).model_validate(arguments)
        except ValidationError as error:
            message = explain(error, _model(REGISTRY[step.tool]), arguments).replace("Nothing was changed.", "")
            raise MCPError(code=INVALID_PARAMS, message=f"{prompt}: {message.strip()}") from None
    return steps


def _placeholder_value(name: str) -> Any:
    """A value of the right type for an argument filled in later (validated for its type only)."""
    if name.endswith("_ids"):
        return [1]
    return 1 if name.endswith("_id") and name != "change_id" else "placeholder"


def render(title: str, goal: str, steps: list[Step], closing: str) -> str:
    """The user message: the goal, the numbered calls with their JSON arguments, and the rules for writes."""
    lines = [f"{title}. {goal}", "", "Use the clockodo tools in this order:"]
    for number, step in enumerate(steps, 1):
        shown = {**step.args, **{name: f"<{what}>" for name, what in step.later.items()}}
        lines.append(f"{number}. {step.tool}({json.dumps(shown, ensure_ascii=False)}) — {step.why}")
        if step.ask_first:
            lines.append(
                "   This is a preview: it changes nothing. Show it to me and wait for my explicit yes before calling "
                "again with its confirm_token."
            )
    lines += ["", closing, "Quote hours and money exactly as the tools return them; do not estimate."]
    return "\n".join(lines)


def _scope(**values: str | None) -> dict[str, str]:
    return {name: value for name, value in values.items() if value}


def add_prompts(server: MCPServer[Any], specs: list[ToolSpec], now: Callable[[], dt.datetime]) -> None:
    """Register the workflow prompts on `server`; `specs` are the tools it serves, `now` the server's clock."""
    served = {spec.name for spec in specs}

    def period_of(prompt: str, value: str) -> str:
        """The period as given, once it parses the way the tools parse it (the syntax does not depend on the zone)."""
        try:
            parse_period(value, tz=ZoneInfo("UTC"), now=now())
        except PeriodError as error:
            raise MCPError(code=INVALID_PARAMS, message=f"{prompt}: {error}") from None
        return value

    @server.prompt(title="Month-close billing run")
    def month_close(
        period: Annotated[str, Field(description="The billing period, e.g. last_month or 2026-11.")] = "last_month",
        customer: Annotated[str | None, Field(description="Only this customer (name or id); all when omitted.")] = None,
    ) -> str:
        """Bill a month: what is unbilled, the invoice preview, mark it billed once you confirm, then verify."""
        period = period_of("month_close", period)
        scope = _scope(customer=customer)
        steps = checked(
            "month_close",
            [
                Step(
                    "report_hours",
                    {"period": period, "billing": "unbilled", "group_by": ["customer", "project"], **scope},
                    "the unbilled hours and their value, per customer and project",
                ),
                Step(
                    "unbilled_aging",
                    {"per": "customer", **scope},
                    "older unbilled work outside the period, so nothing is forgotten",
                ),
                Step(
                    "set_billing_state",
                    {"period": period, "to_state": "billed", "from_state": "unbilled", **scope},
                    "the invoice preview: entries, hours and money per invoice line",
                    ask_first=True,
                ),
                Step(
                    "set_billing_state",
                    {"period": period, "to_state": "billed", "from_state": "unbilled", **scope},
                    "mark them billed (only after my yes)",
                    later={"confirm_token": "the confirm_token of the preview"},
                ),
                Step(
                    "report_hours",
                    {"period": period, "billing": "unbilled", **scope},
                    "verify: nothing of the period is left unbilled",
                ),
            ],
            served,
        )
        return render(
            "Month-close billing run",
            f"Bill {customer or 'every customer'} for {period}.",
            steps,
            "If I say no, change nothing. Afterwards give me the change_id (list_changes) so it can be undone.",
        )

    @server.prompt(title="Weekly utilization review")
    def weekly_utilization(
        period: Annotated[str, Field(description="The week to review, e.g. last_week or this_week.")] = "last_week",
        team: Annotated[str | None, Field(description="Only this team (name or id).")] = None,
    ) -> str:
        """Review a week's billable utilization per person and team, and where the hours went."""
        period = period_of("weekly_utilization", period)
        scope = _scope(team=team)
        steps = checked(
            "weekly_utilization",
            [
                Step("utilization", {"period": period, **scope}, "billable utilization against target, lowest first"),
                Step(
                    "report_hours",
                    {"period": period, "billing": "all", "group_by": ["user", "project"], **scope},
                    "where each person's hours went",
                ),
                Step(
                    "alerts",
                    {"kinds": ["utilization", "timer"], "utilization_period": period},
                    "anyone far below target, and timers left running",
                ),
            ],
            served,
        )
        return render(
            "Weekly utilization review",
            f"Review {period} for {team or 'the whole company'}.",
            steps,
            "Summarise who is under-booked or over-booked and why, in a short table. Change nothing.",
        )

    @server.prompt(title="Budget check-in")
    def budget_check_in(
        customer: Annotated[str | None, Field(description="Only this customer's projects (name or id).")] = None,
        risk_pct: Annotated[str, Field(description="A project is at risk from this % of its budget used.")] = "80",
    ) -> str:
        """Check the budgets: % used, burn rate and forecast exhaustion, then where the riskiest ones burn."""
        scope = _scope(customer=customer)
        try:
            risk = float(risk_pct)
        except ValueError:
            raise MCPError(
                code=INVALID_PARAMS, message=f"budget_check_in: risk_pct must be a number, got {risk_pct!r}."
            ) from None
        steps = checked(
            "budget_check_in",
            [
                Step("budget_status", {"risk_pct": risk, **scope}, "every budget by % used, with burn and forecast"),
                Step(
                    "report_hours",
                    {"period": "this_month", "billing": "all", "group_by": ["user", "service"]},
                    "for the riskiest project: who burns it, on what",
                    later={"project": "the riskiest project's name from step 1"},
                ),
            ],
            served,
        )
        return render(
            "Budget check-in",
            f"Check the budgets of {customer or 'every customer'} (at risk from {risk:g} % used).",
            steps,
            "Recommend what to do for each project at risk. Change a budget only if I ask (set_project_budget).",
        )

    @server.prompt(title="Clear the absence queue")
    def absence_queue_review(
        team: Annotated[str | None, Field(description="Only this team's requests (name or id).")] = None,
    ) -> str:
        """Go through the pending absence requests, oldest first, and decide them in a batch once you say so."""
        scope = _scope(team=team)
        steps = checked(
            "absence_queue_review",
            [
                Step("absence_queue", scope, "pending requests, oldest first, with overlaps and quota left"),
                Step(
                    "decide_absence",
                    {"decision": "approve"},
                    "one preview of all the approvals (the declines likewise, with decision decline)",
                    later={"absence_ids": "the absence_ids of the requests I approve"},
                    ask_first=True,
                ),
                Step(
                    "decide_absence",
                    {"decision": "approve"},
                    "apply them (only after my yes)",
                    later={"absence_ids": "the same absence_ids", "confirm_token": "the preview's confirm_token"},
                ),
            ],
            served,
        )
        return render(
            "Clear the absence queue",
            f"Go through the pending requests of {team or 'everyone'}; once I have decided, apply each decision to "
            "all its requests at once.",
            steps,
            "Point out overlaps with teammates and requests beyond the quota before I decide.",
        )

    @server.prompt(title="Forgotten-timer sweep")
    def forgotten_timer_sweep(
        longer_than_hours: Annotated[
            str, Field(description="A timer running longer than this many hours is suspect.")
        ] = "10",
    ) -> str:
        """Find timers left running, and stop or correct each one once you say so."""
        try:
            hours = float(longer_than_hours)
        except ValueError:
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"forgotten_timer_sweep: longer_than_hours must be a number, got {longer_than_hours!r}.",
            ) from None
        steps = checked(
            "forgotten_timer_sweep",
            [
                Step("get_timer", {"user": "everyone"}, "every running timer, longest first"),
                Step(
                    "alerts",
                    {"kinds": ["timer"], "timer_longer_than_hours": hours},
                    f"the ones running longer than {hours:g} h",
                ),
                Step(
                    "stop_timer",
                    {},
                    "the preview of stopping one (or edit_entry to set the real end afterwards)",
                    later={"user": "the timer's user"},
                    ask_first=True,
                ),
                Step(
                    "stop_timer",
                    {},
                    "stop it (only after my yes)",
                    later={"user": "the same user", "confirm_token": "the preview's confirm_token"},
                ),
            ],
            served,
        )
        return render(
            "Forgotten-timer sweep",
            f"Find timers running longer than {hours:g} hours.",
            steps,
            "Ask me for the real end time of each before correcting it; stop none without my yes.",
        )

    del month_close, weekly_utilization, budget_check_in, absence_queue_review, forgotten_timer_sweep
