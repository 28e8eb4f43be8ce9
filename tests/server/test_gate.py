"""Token attacks end to end: forged, expired, reused, other arguments, other tool, stale target — each refused,
nothing written to the fake Clockodo, and an outcome record with status "refused" in the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client, types

from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.tokens import ConfirmationTokens
from tests.server.conftest import call, call_error, make_runtime
from tests.server.gating import LOG, apply, entries_state, outcomes, preview

EDITABLE = 6323


class Clock:
    """A settable clock for the token issuer."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(1_795_000_000.0)


@pytest.fixture(autouse=True)
def _clocked_tokens(runtime: Runtime, clock: Clock) -> None:
    runtime.tokens = ConfirmationTokens(ttl_seconds=600, now=clock)


async def assert_refused(
    mcp_client: Client, fake_app: Any, audit_path: Path, tool: str, message: str, **args: Any
) -> None:
    before = entries_state(fake_app.state.store)
    error = await call_error(mcp_client, tool, **args)
    assert message in error
    assert "nothing was changed" in error.lower() or "changed nothing" in error
    assert entries_state(fake_app.state.store) == before
    last = outcomes(audit_path, tool)[-1]
    assert last["status"] == "refused"
    assert "change" not in last


async def test_a_forged_token_is_refused(mcp_client, fake_app, audit_path):
    token = (await preview(mcp_client, "log_time", **LOG))["confirm_token"]
    body, signature = token.split(".")
    forged = f"{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    await assert_refused(
        mcp_client, fake_app, audit_path, "log_time", "not issued by this server", **LOG, confirm_token=forged
    )


async def test_a_made_up_token_is_refused(mcp_client, fake_app, audit_path):
    await assert_refused(mcp_client, fake_app, audit_path, "log_time", "not a valid", **LOG, confirm_token="yes-please")


async def test_an_expired_token_is_refused(mcp_client, fake_app, audit_path, clock):
    token = (await preview(mcp_client, "log_time", **LOG))["confirm_token"]
    clock.at += 601
    await assert_refused(mcp_client, fake_app, audit_path, "log_time", "expired", **LOG, confirm_token=token)


async def test_a_token_within_its_lifetime_is_accepted(mcp_client, fake_app, clock):
    token = (await preview(mcp_client, "log_time", **LOG))["confirm_token"]
    clock.at += 599
    done = await call(mcp_client, "log_time", **LOG, confirm_token=token)
    assert done["status"] == "applied"


async def test_a_used_token_cannot_be_used_again(mcp_client, fake_app, audit_path):
    token = (await preview(mcp_client, "log_time", **LOG))["confirm_token"]
    await call(mcp_client, "log_time", **LOG, confirm_token=token)
    await assert_refused(
        mcp_client,
        fake_app,
        audit_path,
        "log_time",
        "This confirmation was already used by change",
        **LOG,
        confirm_token=token,
    )


async def test_a_token_for_other_arguments_is_refused(mcp_client, fake_app, audit_path):
    token = (await preview(mcp_client, "log_time", **LOG))["confirm_token"]
    other = {**LOG, "duration": "8h"}
    await assert_refused(mcp_client, fake_app, audit_path, "log_time", "arguments differ", **other, confirm_token=token)


async def test_a_token_for_another_tool_is_refused(mcp_client, fake_app, audit_path):
    token = (await preview(mcp_client, "log_time", **LOG))["confirm_token"]
    await assert_refused(
        mcp_client,
        fake_app,
        audit_path,
        "delete_entry",
        "issued for the tool log_time",
        entry_id=EDITABLE,
        confirm_token=token,
    )


async def test_a_token_for_a_target_that_changed_since_the_preview_is_refused(mcp_client, fake_app, audit_path):
    token = (await preview(mcp_client, "edit_entry", entry_id=EDITABLE, text="Reviewed"))["confirm_token"]
    store = fake_app.state.store
    store.update_entry(store.entry(EDITABLE), {"duration": 600})  # someone else edits it in Clockodo
    await assert_refused(
        mcp_client,
        fake_app,
        audit_path,
        "edit_entry",
        "changed since the preview",
        entry_id=EDITABLE,
        text="Reviewed",
        confirm_token=token,
    )
    # A fresh preview of the new state can be confirmed.
    await apply(mcp_client, "edit_entry", entry_id=EDITABLE, text="Reviewed")
    assert store.entry(EDITABLE).text == "Reviewed"


async def test_a_new_entry_of_the_user_that_day_makes_a_log_time_preview_stale(mcp_client, fake_app, audit_path):
    args = {**LOG, "allow_overlap": True}
    token = (await preview(mcp_client, "log_time", **args))["confirm_token"]
    await apply(mcp_client, "log_time", **{**LOG, "start": "10:30"}, text="logged meanwhile", allow_overlap=True)
    await assert_refused(mcp_client, fake_app, audit_path, "log_time", "changed since", **args, confirm_token=token)


async def test_tokens_never_reach_the_audit_log(mcp_client, fake_app, audit_path):
    shown = await preview(mcp_client, "log_time", **LOG)
    await call(mcp_client, "log_time", **LOG, confirm_token=shown["confirm_token"])
    assert shown["confirm_token"] not in audit_path.read_text()


async def test_an_applied_write_records_before_after_ids_and_undo_in_the_audit_log(mcp_client, fake_app, audit_path):
    done = await apply(mcp_client, "edit_entry", entry_id=EDITABLE, text="Audited")
    record = outcomes(audit_path, "edit_entry")[-1]
    assert record["status"] == "ok"
    change = record["change"]
    assert change["change_id"] == done["change_id"]
    assert change["args"] == {
        "entry_id": EDITABLE,
        "date": None,
        "start": None,
        "end": None,
        "duration": None,
        "text": "Audited",
        "customer": None,
        "project": None,
        "service": None,
        "billing": None,
    }
    assert change["before"]["text"] == "Release planning"
    assert change["after"]["text"] == "Audited"
    assert change["ids"] == {"entries": [EDITABLE]}
    assert change["undo"]["kind"] == "restore_entry"
    previews = outcomes(audit_path, "edit_entry")[-2]
    assert previews["status"] == "preview"


# -- confirmation by form elicitation (--confirm elicit|auto), in both protocol eras -------------------------


class Human:
    """A client-side human who answers the confirmation form; optionally does something first."""

    def __init__(self, action: str = "accept", confirm: bool = True, meanwhile: Any = None) -> None:
        self.action, self.confirm, self.meanwhile = action, confirm, meanwhile
        self.questions: list[str] = []

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.questions.append(params.message)
        if self.meanwhile is not None:
            self.meanwhile()
            self.meanwhile = None
        content = {"confirm": self.confirm} if self.action == "accept" else None
        return types.ElicitResult(action=self.action, content=content)


def elicit_runtime(fake_app: Any, audit_path: Path, confirm: str) -> Runtime:
    return make_runtime(fake_app, audit_path, confirm=confirm)


ERAS = ["legacy", "2026-07-28"]


@pytest.mark.parametrize("era", ERAS)
async def test_an_eliciting_client_confirms_in_a_form_and_the_write_is_applied(fake_app, audit_path, era):
    human = Human()
    runtime = elicit_runtime(fake_app, audit_path, "auto")
    async with Client(build_server(runtime), mode=era, elicitation_callback=human) as client:
        done = await call(client, "log_time", **LOG, text="Confirmed in a form")
    assert done["status"] == "applied"
    assert done["confirm_token"] is None
    assert len(human.questions) == 1
    assert "Will log 1 h for Olivia Brandt on Phoenix / Development" in human.questions[0]
    created = fake_app.state.store.entry(done["after"]["id"])
    assert created.text == "Confirmed in a form"
    change = outcomes(audit_path, "log_time")[-1]["change"]
    assert change["confirmed_by"] == "elicitation"


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize(("action", "confirm"), [("decline", True), ("cancel", True), ("accept", False)])
async def test_a_human_who_does_not_confirm_changes_nothing(fake_app, audit_path, era, action, confirm):
    before = entries_state(fake_app.state.store)
    runtime = elicit_runtime(fake_app, audit_path, "elicit")
    async with Client(build_server(runtime), mode=era, elicitation_callback=Human(action, confirm)) as client:
        error = await call_error(client, "delete_entry", entry_id=EDITABLE)
    assert "did not confirm" in error
    assert entries_state(fake_app.state.store) == before
    assert outcomes(audit_path, "delete_entry")[-1]["status"] == "refused"


async def test_a_target_changed_while_the_human_decides_is_refused_in_the_handshake_era(fake_app, audit_path):
    store = fake_app.state.store
    human = Human(meanwhile=lambda: store.update_entry(store.entry(EDITABLE), {"text": "edited meanwhile"}))
    runtime = elicit_runtime(fake_app, audit_path, "elicit")
    async with Client(build_server(runtime), mode="legacy", elicitation_callback=human) as client:
        error = await call_error(client, "edit_entry", entry_id=EDITABLE, duration="1h")
    assert "changed while the user was confirming" in error
    assert store.entry(EDITABLE).duration == 9000
    assert outcomes(audit_path, "edit_entry")[-1]["status"] == "refused"


async def test_a_target_changed_while_the_human_decides_is_asked_again_from_2026_07_28(fake_app, audit_path):
    store = fake_app.state.store
    human = Human(meanwhile=lambda: store.update_entry(store.entry(EDITABLE), {"text": "edited meanwhile"}))
    runtime = elicit_runtime(fake_app, audit_path, "elicit")
    async with Client(build_server(runtime), mode="2026-07-28", elicitation_callback=human) as client:
        done = await call(client, "edit_entry", entry_id=EDITABLE, duration="1h")
    assert len(human.questions) == 2  # the first answer was for a state that no longer exists
    assert "edited meanwhile" in human.questions[1]
    assert done["before"]["text"] == "edited meanwhile"
    assert store.entry(EDITABLE).duration == 3600


async def test_confirm_token_mode_hands_out_tokens_even_to_an_eliciting_client(fake_app, audit_path):
    human = Human()
    runtime = elicit_runtime(fake_app, audit_path, "token")
    async with Client(build_server(runtime), elicitation_callback=human) as client:
        shown = await preview(client, "log_time", **LOG)
    assert shown["confirm_token"]
    assert human.questions == []


async def test_confirm_elicit_refuses_writes_from_a_client_without_forms(fake_app, audit_path):
    before = entries_state(fake_app.state.store)
    runtime = elicit_runtime(fake_app, audit_path, "elicit")
    async with Client(build_server(runtime)) as client:
        error = await call_error(client, "log_time", **LOG)
        listed = await call(client, "list_changes")  # reads still work
    assert "cannot show forms" in error
    assert "--confirm token" in error
    assert entries_state(fake_app.state.store) == before
    assert listed["changes"] == []


async def test_bad_input_in_elicit_mode_is_an_audited_error_and_nobody_is_asked(fake_app, audit_path):
    human = Human()
    runtime = elicit_runtime(fake_app, audit_path, "elicit")
    async with Client(build_server(runtime), elicitation_callback=human) as client:
        error = await call_error(client, "log_time", **{**LOG, "duration": "30h"})
    assert "longer than 24 hours" in error
    assert human.questions == []
    assert outcomes(audit_path, "log_time")[-1]["status"] == "rejected"
