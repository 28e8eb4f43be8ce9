"""fake layer."""
