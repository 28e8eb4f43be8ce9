"""clockodo layer."""
