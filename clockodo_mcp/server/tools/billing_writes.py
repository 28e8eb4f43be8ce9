"""Billing writes behind the confirmation gate: set_billing_state (mark billed …) and set_hourly_rate.

Each is a `WriteSpec`: the argument model and the plan live in `domain/writes/billing.py` and `rates.py`, the output
model here.
"""

from __future__ import annotations

from clockodo_mcp.domain.writes import billing, rates
from clockodo_mcp.domain.writes.billing import BillingBefore, BillingResult, SetBillingStateArgs, SetBillingStatePreview
from clockodo_mcp.domain.writes.rates import RateBefore, RateResult, SetHourlyRateArgs, SetHourlyRatePreview
from clockodo_mcp.server.gate import WriteOut
from clockodo_mcp.server.writes import WriteSpec, write_tool


class SetBillingStateOut(WriteOut[SetBillingStatePreview, BillingResult, BillingBefore]):
    """set_billing_state: the entries and the invoice summary (preview), their state after."""


class SetHourlyRateOut(WriteOut[SetHourlyRatePreview, RateResult, RateBefore]):
    """set_hourly_rate: the rule before → after and the re-rated entries (preview), the stored rule after."""


set_billing_state = write_tool(
    WriteSpec(
        name="set_billing_state",
        title="Set billing state (mark billed)",
        toolset="billing",
        destructive=True,
        idempotent=True,
        args=SetBillingStateArgs,
        plan=billing.set_billing_state,
        output=SetBillingStateOut,
        doc="""Change the billing state of a period's finished entries (e.g. mark billed), with an invoice summary.

        Running timers are left out; billed entries cannot become not_billable in one step. E.g. "mark Client XYZ's
        hours this month as billed" → set_billing_state(period="this_month", customer="Client XYZ", to_state="billed").
        """,
    )
)

set_hourly_rate = write_tool(
    WriteSpec(
        name="set_hourly_rate",
        title="Set an hourly rate",
        toolset="billing",
        destructive=True,
        idempotent=True,
        args=SetHourlyRateArgs,
        plan=rates.set_hourly_rate,
        output=SetHourlyRateOut,
        doc="""Create or change an hourly-rate rule (customer OR project, with service and/or user).

        Existing entries keep their rate unless rerate_period is given (then that period's unbilled matching entries
        are re-rated). E.g. set_hourly_rate(hourly_rate=95, project="Phoenix", rerate_period="this_month").
        """,
    )
)
