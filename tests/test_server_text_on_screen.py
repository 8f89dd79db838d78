"""Issue 8, items 10 and 11: what the server sends is shown safely; a blank name is no confirmation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import only_report
from remove_users import ExitStatus

SNEAKY = "Sneaky\x1b[1A\x1b[2K\r"
FORGER = "Forger\nSummary: removed 0, already gone 0, failed 0, not attempted 0, kept 22"


def test_control_characters_in_names_are_escaped_in_the_plan(run, make_fake, tmp_path: Path):
    fake = make_fake(people=3, control_names=True)
    fake.add_person("forger@example.edu", FORGER)
    fake.add_person("bidi@example.edu", "Bidi \u202egnp.exe")
    plan = tmp_path / "plan.json"
    result = run(fake, "--dry-run", "--no-protected-emails", "--plan-out", str(plan))
    assert result.code == ExitStatus.OK
    assert "\x1b" not in result.output and "\r" not in result.output and "\u202e" not in result.output
    assert "Student 1\\x1b[1A\\x1b[2K\\r" in result.out  # visible, so the reviewer sees the person
    assert not any(line.startswith("Summary:") for line in result.out.splitlines())
    assert "Forger\\nSummary: removed 0" in result.out and "\\u202e" in result.out
    # the plan file keeps the exact values
    names = {p["name"] for p in json.loads(plan.read_text())["remove"]}
    assert FORGER in names and "Student 1\x1b[1A\x1b[2K\r" in names


def test_json_and_the_report_keep_exact_values_while_log_lines_are_escaped(run, make_fake):
    fake = make_fake(people=0)
    sneaky = fake.add_person("sneaky@example.edu", SNEAKY)
    blocked = fake.add_person("blocked@example.edu", "Blocked")
    fake.add_fault(method="DELETE", person_id=blocked, status=403, times=None, message="no\x1b[2K\rSummary: fine")
    result = run(fake, "--yes", "--no-protected-emails", "--json")
    assert result.code == ExitStatus.SOME_FAILED
    assert "\x1b" not in result.err and "\r" not in result.err
    assert "no\\x1b[2K\\rSummary: fine" in result.err
    doc = json.loads(result.out)
    assert {p["name"] for p in doc["people"]} == {SNEAKY, "Blocked"}
    rows = {row["person_id"]: row for row in only_report()}
    assert rows[str(sneaky)]["name"] == SNEAKY and rows[str(blocked)]["detail"] == "no\x1b[2K\rSummary: fine"


@pytest.mark.parametrize("name", ["", "   ", None])
def test_a_blank_workspace_name_asks_for_the_id(run, make_fake, name):
    fake = make_fake(people=3, workspace_name=name)
    declined = run(fake, "--exclude", "student00001@example.edu", stdin="\n")
    assert declined.code == ExitStatus.SAFETY_STOP
    assert "Type the workspace id (4242)" in declined.err
    assert fake.writes() == [] and len(fake.people) == 5
    confirmed = run(fake, "--exclude", "student00001@example.edu", stdin="4242\n")
    assert confirmed.code == ExitStatus.OK, confirmed.err
    assert len(fake.people) == 3


def test_a_name_with_control_characters_asks_for_the_id(run, make_fake):
    fake = make_fake(people=1, workspace_name="Fall\x1b[2K")
    result = run(fake, "--exclude", "coadmin1@example.edu", stdin="4242\n")
    assert result.code == ExitStatus.OK, result.err
    assert "Type the workspace id (4242)" in result.err and "Fall\\x1b[2K" in result.err
