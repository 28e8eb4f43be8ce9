"""Store URLs: SQLite files by absolute path, PostgreSQL servers with a schema; anything this version cannot open is
refused with an example, and a password never shows."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from clockodo_mcp.server.config import ConfigError, ServerConfig, config_from_env
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store import (
    ENV_STORE,
    PostgresStoreUrl,
    StoreConfigError,
    default_store_url,
    parse_store_url,
    sqlite_url,
)


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


@pytest.mark.parametrize(
    ("url", "location", "endpoint", "schema"),
    [
        (
            "postgresql://clockodo:pw@db.internal:6432/clockodo?schema=shared",
            "postgresql://clockodo:***@db.internal:6432/clockodo?schema=shared",
            "db.internal:6432",
            "shared",
        ),
        ("postgres://clockodo@db/clockodo", "postgresql://clockodo@db/clockodo", "db:5432", "public"),
        ("PostgreSQL:///cl?host=/run/postgresql", "postgresql:///cl?host=/run/postgresql", "/run/postgresql", "public"),
    ],
)
def test_postgresql_urls_name_a_server_a_database_and_a_schema(
    url: str, location: str, endpoint: str, schema: str
) -> None:
    parsed = parse_store_url(url)
    assert isinstance(parsed, PostgresStoreUrl)
    assert (parsed.location, parsed.endpoint, parsed.schema, parsed.connect_timeout) == (location, endpoint, schema, 5)
    assert f"search_path%3D%22{schema}%22" in parsed.conninfo
    assert "schema=" not in parsed.conninfo  # ours, not libpq's
    assert "pw" not in repr(parsed)


def test_a_postgresql_url_may_set_its_connect_timeout_and_libpq_options() -> None:
    parsed = parse_store_url("postgresql://db/clockodo?connect_timeout=2&sslmode=require&application_name=replica-1")
    assert isinstance(parsed, PostgresStoreUrl)
    assert parsed.connect_timeout == 2
    assert "sslmode=require" in parsed.conninfo
    assert "application_name=replica-1" in parsed.conninfo


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u:pw@db/clockodo?mode=ro", "the option\\(s\\) mode this version does not know"),
        ("postgresql://u:pw@db/clockodo?schema=x;drop", "must be a plain SQL name"),
        ("postgresql://u:pw@db/clockodo?schema=", "must be a plain SQL name"),
        ("postgresql://u:pw@db/clockodo?connect_timeout=never", "whole number of seconds"),
        ("postgresql://u:pw@db/clockodo?connect_timeout=0", "whole number of seconds"),
        ("postgresql://u:pw@db/clockodo?schema=a&schema=b", "repeats an option"),
        ("postgresql://u:pw@db/clockodo#main", "fragment"),
    ],
)
def test_postgresql_urls_this_version_cannot_use_are_refused_without_the_password(url: str, message: str) -> None:
    with pytest.raises(StoreConfigError, match=message) as info:
        parse_store_url(url)
    assert "pw" not in str(info.value)
    assert "u:***@db" in str(info.value)


def test_a_runtime_on_a_postgresql_store_opens_nothing_until_the_store_is_used() -> None:
    runtime = Runtime(ServerConfig(store_url="postgresql://clockodo:pw@127.0.0.1:1/clockodo"))
    assert runtime.store.location == "postgresql://clockodo:***@127.0.0.1:1/clockodo"
    runtime.store.close()
