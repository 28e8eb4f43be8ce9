"""What work is worth: Clockodo's own revenue, with its rules for hard budgets.

- Money is Clockodo's `revenue` on entries and entry groups (time at the stamped rate, plus lump sums), asked for
  without `calc_also_revenues_for_projects_with_hard_budget`, so totals are the ones Clockodo's reports show.
- A project with a hard budget that is not completed has no revenue yet: Clockodo values its work when the project
  is completed. Its hours are reported apart, with the budget, and add nothing to the value.
- A completed hard-budget project carries `revenue_factor` (budget ÷ calculated revenue); the spec says revenues
  must be multiplied by it to obtain the effective values, so its revenue is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clockodo_mcp.clockodo import Project


@dataclass(frozen=True, slots=True)
class Valuation:
    """Per project: whether Clockodo withholds its revenue (open hard budget), and its revenue factor."""

    open_hard: Mapping[int, Project]
    factors: Mapping[int, float]

    @classmethod
    def of(cls, projects: Mapping[int, Project]) -> Valuation:
        """From the master data's projects."""
        open_hard: dict[int, Project] = {}
        factors: dict[int, float] = {}
        for pid, project in projects.items():
            budget = project.budget
            if budget is None or not budget.hard:
                continue
            if not project.completed:
                open_hard[pid] = project
            elif project.revenue_factor is not None and project.revenue_factor != 1.0:
                factors[pid] = float(project.revenue_factor)
        return cls(open_hard, factors)

    def withheld(self, project_id: int | None) -> bool:
        """True when Clockodo has no revenue for this project's work yet (a hard budget not completed)."""
        return project_id is not None and project_id in self.open_hard

    def value(self, project_id: int | None, revenue: float) -> float:
        """Clockodo's revenue as the effective value (× the revenue factor of a completed hard budget)."""
        if project_id is None or self.withheld(project_id):
            return revenue if project_id is None else 0.0
        return revenue * self.factors.get(project_id, 1.0)


def project_key(raw: str | None) -> int | None:
    """A `projects_id` group key as an id (None for 'without project')."""
    return int(raw) if raw is not None and raw.isdigit() and int(raw) != 0 else None
