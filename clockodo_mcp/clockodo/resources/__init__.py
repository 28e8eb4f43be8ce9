"""One module per Clockodo resource family."""
