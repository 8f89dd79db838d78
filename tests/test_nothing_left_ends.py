"""Issue 8, item 4: every path with nothing left to do ends at once, exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import SCRIPT, clean_env, read_report
from remove_users import ExitStatus


def script(fake, *args: str) -> subprocess.CompletedProcess:
    env = clean_env()
    env["AAC_ACCESS_TOKEN"] = fake.issue_access_token()
    # A subprocess with a timeout: the bug was a run that never ended.
    return subprocess.run(
        [sys.executable, SCRIPT, "--base-url", fake.base_url, *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60,
    )


def test_a_plan_applied_again_after_everyone_in_it_left_ends_at_once(make_fake, tmp_path: Path):
    fake = make_fake(people=5)
    plan = tmp_path / "plan.json"
    made = script(fake, "--dry-run", "--plan-out", str(plan), "--exclude", "student00001@example.edu")
    assert made.returncode == ExitStatus.OK, made.stderr
    first = script(fake, "--plan", str(plan), "--yes", "--report", str(tmp_path / "a.csv"))
    assert first.returncode == ExitStatus.OK, first.stderr
    deletes = fake.count("DELETE")
    again = script(fake, "--plan", str(plan), "--yes", "--report", str(tmp_path / "b.csv"))
    assert again.returncode == ExitStatus.OK, again.stderr
    assert fake.count("DELETE") == deletes == 4  # nothing sent the second time
    assert "removed 0, already gone 4" in again.stdout
    assert {row["outcome"] for row in read_report(tmp_path / "b.csv")} == {"already-gone"}


def test_nobody_to_remove_ends_at_once(make_fake):
    fake = make_fake(people=0)
    result = script(fake, "--yes", "--no-protected-emails")
    assert result.returncode == ExitStatus.OK, result.stderr
    assert "Nobody to remove." in result.stdout
    assert fake.writes() == []
