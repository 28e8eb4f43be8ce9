"""The billing, rate, budget and absence writes answer with typed previews and results; undo publishes one schema."""

from __future__ import annotations

from typing import Any

from clockodo_mcp.domain.writes import admin, billing, rates, registry
from clockodo_mcp.domain.writes.admin import SetProjectBudgetArgs, SetProjectBudgetPreview
from clockodo_mcp.domain.writes.billing import SetBillingStateArgs, SetBillingStatePreview
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.rates import SetHourlyRateArgs, SetHourlyRatePreview
from clockodo_mcp.domain.writes.undoing import UndoPreview, undo_preview_schema


async def test_a_budget_plan_previews_typed_budgets_and_applies_to_a_typed_result(deps: WriteDeps):
    plan = await admin.set_project_budget(SetProjectBudgetArgs(project="Phoenix", amount=321, unit="hours"), deps)

    assert isinstance(plan.preview, SetProjectBudgetPreview)
    assert (plan.preview.budget_after.amount, plan.preview.budget_after.monetary) == (321.0, False)
    applied = await plan.apply()
    assert applied.after.verified is True
    assert applied.after.budget is not None
    assert applied.after.budget.amount == 321.0


async def test_a_rate_plan_previews_the_rates_as_money(deps: WriteDeps):
    plan = await rates.set_hourly_rate(SetHourlyRateArgs(hourly_rate=123, project="Phoenix"), deps)

    assert isinstance(plan.preview, SetHourlyRatePreview)
    assert plan.preview.rate_after.model_dump() == {"amount": 123.0, "currency": "EUR"}
    assert plan.preview.rerate is None


async def test_a_billing_plan_previews_its_invoice_and_reads_back_a_typed_result(deps: WriteDeps):
    plan = await billing.set_billing_state(SetBillingStateArgs(period="last_month", to_state="billed"), deps)

    assert isinstance(plan.preview, SetBillingStatePreview)
    assert plan.preview.billing == "unbilled → billed"
    applied = await plan.apply()
    assert (applied.after.billing, applied.after.verified) == ("billed", True)
    assert applied.after.entries == plan.preview.invoice["entry_count"]


def _kinds(base: type[UndoPreview]) -> list[type[UndoPreview]]:
    return [kind for sub in base.__subclasses__() for kind in (sub, *_kinds(sub))]


def test_the_undo_preview_schema_names_every_kinds_fields():
    assert registry
    published: dict[str, Any] = undo_preview_schema()["properties"]
    kinds = _kinds(UndoPreview)

    assert len(kinds) >= 10
    for kind in kinds:
        assert set(kind.model_fields) <= set(published), kind.__name__
    assert {k for k in published if sum(k in kind.model_fields for kind in kinds) > 1} >= {"entry", "timer"}
