"""CLOCKODO_MCP_DEMO_LATENCY makes the demo's fake Clockodo as slow as a remote one (for realism and tests)."""

from __future__ import annotations

import pytest

from clockodo_mcp.server.config import ConfigError, config_from_env


def test_the_demo_latency_is_read_in_seconds_and_off_by_default() -> None:
    assert config_from_env({}).demo_latency_seconds == 0.0
    assert config_from_env({"CLOCKODO_MCP_DEMO_LATENCY": "0.08"}).demo_latency_seconds == 0.08


@pytest.mark.parametrize("value", ["fast", "-1", "inf", "nan"])
def test_a_demo_latency_that_is_not_a_duration_is_refused_with_an_example(value: str) -> None:
    with pytest.raises(ConfigError, match=r"CLOCKODO_MCP_DEMO_LATENCY=.*e\.g\. 0\.08"):
        config_from_env({"CLOCKODO_MCP_DEMO_LATENCY": value})
