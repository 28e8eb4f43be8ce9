"""The fake's route groups, one module per Clockodo resource family."""
