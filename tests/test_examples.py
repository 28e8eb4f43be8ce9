"""The scripts in examples/ run as a user would run them: a subprocess, the official MCP client, `serve --demo`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from clockodo_mcp.audit import verify
from tests.dates import each_day

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, audit_log: Path, day: date) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLOCKODO_MCP_AUDIT_LOG": str(audit_log),
        "CLOCKODO_MCP_TODAY": day.isoformat(),  # the demo company's calendar, pinned
        # The demo needs no credentials; make sure no OS keychain is ever asked.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_every_example_script_is_run_by_this_file():
    assert {path.name for path in EXAMPLES.glob("*.py")} == {"ask_questions.py", "billing_run.py"}


@each_day()
def test_the_questions_example_answers_every_question(tmp_path, day):
    audit_log = tmp_path / "audit.jsonl"
    done = run_example("ask_questions.py", audit_log, day)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Connected to clockodo-mcp (demo company)" in out
    assert out.count("\nQ: ") == out.count("\nA: ") == 8
    assert "worth" in out
    ranked = re.findall(r"^   (\d)\. .+: ([\d,]+\.\d\d) EUR", out, flags=re.MULTILINE)
    assert [rank for rank, _ in ranked] == ["1", "2", "3"][: len(ranked)]
    values = [float(value.replace(",", "")) for _, value in ranked]
    assert values == sorted(values, reverse=True)
    assert "Design: " in out
    assert " vs Development: " in out
    assert "Answered 8 questions." in out
    assert verify(audit_log).ok


# On the 1st (first-of-month, new-year) the demo's forgotten timer started on the last day of the month before:
# it is running, so it is neither billed nor counted as unbilled work; the check after billing reads 0 h.
@each_day()
def test_the_billing_run_previews_confirms_and_verifies_the_audit_log(tmp_path, day):
    audit_log = tmp_path / "audit.jsonl"
    done = run_example("billing_run.py", audit_log, day)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "PREVIEW — nothing has changed yet." in out
    assert "Invoice summary:" in out
    assert "are now billed" in out
    assert "0 h worth 0.00 EUR (unbilled)" in out
    assert re.search(rf"audit log OK: \d+ records, chain intact \({re.escape(str(audit_log))}\)", out)
    assert "Billing run complete." in out
    result = verify(audit_log)
    assert result.ok
    assert result.records >= 10  # an intent and an outcome for each of the five calls
