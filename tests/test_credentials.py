"""Credential resolution (flags → environment → keyring) and the keyring store, over an in-memory backend."""

from __future__ import annotations

import pytest

from clockodo_mcp.credentials import (
    SERVICE,
    USER_SLOT,
    Credentials,
    KeyringUnavailable,
    keyring_backend_name,
    keyring_delete,
    keyring_read,
    keyring_store,
    resolve_credentials,
)

pytestmark = pytest.mark.usefixtures("memory_keyring")

NO_ENV: dict[str, str] = {}
ENV = {"CLOCKODO_API_USER": "env@example.com", "CLOCKODO_API_KEY": "env-key-123"}


def test_flags_win_over_the_environment_and_the_keyring():
    keyring_store("stored@example.com", "stored-key-123")
    found = resolve_credentials("flag@example.com", "flag-key-123", env=ENV)
    assert found == Credentials("flag@example.com", "flag-key-123", "command-line flags")


def test_the_environment_wins_over_the_keyring():
    keyring_store("stored@example.com", "stored-key-123")
    assert resolve_credentials(env=ENV) == Credentials("env@example.com", "env-key-123", "environment")


def test_the_keyring_is_used_when_nothing_else_is_set():
    keyring_store("stored@example.com", "stored-key-123")
    found = resolve_credentials(env=NO_ENV)
    assert found == Credentials("stored@example.com", "stored-key-123", "system keyring")


def test_a_flag_user_with_an_environment_key_names_both_sources():
    found = resolve_credentials("flag@example.com", None, env={"CLOCKODO_API_KEY": "env-key-123"})
    assert found == Credentials("flag@example.com", "env-key-123", "flags and environment")


def test_an_environment_user_without_a_key_takes_the_stored_key_of_the_same_user():
    keyring_store("stored@example.com", "stored-key-123")
    found = resolve_credentials(env={"CLOCKODO_API_USER": "stored@example.com"})
    assert found == Credentials("stored@example.com", "stored-key-123", "system keyring")


def test_an_environment_user_never_gets_another_users_stored_key():
    keyring_store("stored@example.com", "stored-key-123")
    assert resolve_credentials(env={"CLOCKODO_API_USER": "other@example.com"}) is None


def test_nothing_configured_resolves_to_none():
    assert resolve_credentials(env=NO_ENV) is None


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_backend_resolution_falls_back_to_none_without_raising():
    assert resolve_credentials(env=NO_ENV) is None
    assert resolve_credentials(env=ENV) == Credentials("env@example.com", "env-key-123", "environment")


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_backend_reading_storing_and_deleting_say_so():
    with pytest.raises(KeyringUnavailable):
        keyring_read()
    with pytest.raises(KeyringUnavailable):
        keyring_store("a@example.com", "key-123456")
    with pytest.raises(KeyringUnavailable):
        keyring_delete()


def test_storing_keeps_the_user_and_the_key_under_the_service(memory_keyring):
    keyring_store("stored@example.com", "stored-key-123")
    assert memory_keyring.passwords == {
        (SERVICE, USER_SLOT): "stored@example.com",
        (SERVICE, "stored@example.com"): "stored-key-123",
    }
    assert keyring_read() == ("stored@example.com", "stored-key-123")


def test_storing_another_user_removes_the_previous_users_key(memory_keyring):
    keyring_store("first@example.com", "first-key-123")
    keyring_store("second@example.com", "second-key-123")
    assert (SERVICE, "first@example.com") not in memory_keyring.passwords
    assert keyring_read() == ("second@example.com", "second-key-123")


def test_a_user_slot_without_a_key_reads_as_nothing_stored(memory_keyring):
    memory_keyring.set_password(SERVICE, USER_SLOT, "lost@example.com")
    assert keyring_read() is None


def test_deleting_removes_user_and_key_and_reports_whether_anything_was_there(memory_keyring):
    keyring_store("stored@example.com", "stored-key-123")
    assert keyring_delete() is True
    assert memory_keyring.passwords == {}
    assert keyring_delete() is False


def test_the_backend_is_named_for_messages():
    assert "MemoryKeyring" in keyring_backend_name()
