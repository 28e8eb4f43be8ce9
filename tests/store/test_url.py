"""Store URLs: SQLite files by absolute path; anything this version cannot open is refused with an example."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from clockodo_mcp.server.config import ConfigError, ServerConfig, config_from_env
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store import ENV_STORE, StoreConfigError, default_store_url, parse_store_url, sqlite_url


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/lib/clockodo/store.sqlite3", "/var/lib/clockodo/store.sqlite3"),
        ("sqlite:////var/lib/clockodo/store.sqlite3", "/var/lib/clockodo/store.sqlite3"),
        ("SQLite:///tmp/x.db", "/tmp/x.db"),
    ],
)
def test_sqlite_urls_name_an_absolute_file(url: str, path: str) -> None:
    assert parse_store_url(url).path == Path(path)


def test_a_home_relative_sqlite_url_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_store_url("sqlite:///~/store.sqlite3").path == tmp_path / "store.sqlite3"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db/clockodo", "unknown scheme 'mysql'"),
        ("postgresql://user@db/clockodo", "cannot use yet"),
        ("/var/lib/store.sqlite3", "not a store URL"),
        ("sqlite://host/store.sqlite3", "names a host"),
        ("sqlite:///", "absolute file path"),
        ("sqlite:///tmp/x.db?mode=ro", "options"),
    ],
)
def test_urls_this_version_cannot_open_are_refused_with_an_example(url: str, message: str) -> None:
    with pytest.raises(StoreConfigError, match=message) as info:
        parse_store_url(url)
    assert "sqlite:///" in str(info.value)


def test_the_default_store_is_the_environment_else_the_user_data_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_STORE, "sqlite:///elsewhere/store.sqlite3")
    assert default_store_url() == "sqlite:///elsewhere/store.sqlite3"
    monkeypatch.delenv(ENV_STORE)
    expected = platformdirs.user_data_path("clockodo-mcp") / "store.sqlite3"
    assert parse_store_url(default_store_url()).path == expected


def test_sqlite_url_round_trips_a_path(tmp_path: Path) -> None:
    assert parse_store_url(sqlite_url(tmp_path / "s.sqlite3")).path == tmp_path / "s.sqlite3"


def test_the_configuration_reads_the_store_from_the_environment() -> None:
    assert config_from_env({"CLOCKODO_MCP_STORE": "sqlite:///a/b.sqlite3"}).store_url == "sqlite:///a/b.sqlite3"
    assert config_from_env({}).store_url is None


def test_a_runtime_with_an_unknown_store_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="unknown scheme 'redis'"):
        Runtime(ServerConfig(store_url="redis://localhost/0"))
