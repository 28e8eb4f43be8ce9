"""Imports every write module, so that their checks (`checks.register_check`) and undo plans (`undo_plan`) exist."""

from __future__ import annotations

from clockodo_mcp.domain.writes import absence_batch, admin, billing, entry_checks, entry_undo, rates

__all__ = ["absence_batch", "admin", "billing", "entry_checks", "entry_undo", "rates"]
