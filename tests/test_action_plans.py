"""Plan files carry their action: a suspend plan is never applied as a removal, nor the reverse."""

from __future__ import annotations

import json

import pytest

from conftest import plan_file, student
from remove_users import ExitStatus


def test_a_suspend_plan_says_so(run, fake, tmp_path):
    doc = json.loads(plan_file(run, fake, tmp_path, "--suspend").read_text())
    assert doc["action"] == "suspend" and len(doc["remove"]) == 20


def test_a_suspend_plan_is_refused_by_a_removal_command(run, fake, tmp_path):
    path = plan_file(run, fake, tmp_path, "--suspend")
    before = len(fake.requests)
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.SAFETY_STOP
    assert "a plan to suspend, but this command would remove" in result.err and "--suspend" in result.err
    assert fake.writes() == [] and len(fake.requests) == before  # refused before any request
    assert len(fake.people) == 22


@pytest.mark.parametrize("flag", ["--suspend", "--unsuspend"])
def test_a_removal_plan_is_refused_by_a_suspend_or_unsuspend_command(run, fake, tmp_path, flag):
    path = plan_file(run, fake, tmp_path)
    result = run(fake, "--plan", str(path), "--yes", flag)
    assert result.code == ExitStatus.SAFETY_STOP
    assert f"a plan to remove, but this command would {flag[2:]}" in result.err
    assert "neither --suspend nor --unsuspend" in result.err
    assert fake.writes() == []


def test_a_plan_written_before_actions_existed_is_a_removal_plan(run, fake, tmp_path):
    path = plan_file(run, fake, tmp_path, "--only", "student00003@example.edu")
    doc = json.loads(path.read_text())
    del doc["action"]
    path.write_text(json.dumps(doc))
    assert run(fake, "--plan", str(path), "--yes", "--suspend").code == ExitStatus.SAFETY_STOP
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert "student00003@example.edu" not in fake.emails()


def test_a_plan_with_an_unknown_action_is_not_a_plan(run, fake, tmp_path):
    path = plan_file(run, fake, tmp_path)
    doc = json.loads(path.read_text())
    doc["action"] = "delete-everything"
    path.write_text(json.dumps(doc))
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.USAGE and "delete-everything" in result.err
    assert fake.writes() == []


def test_a_suspend_plan_applies_with_suspend(run, make_fake, seeing, tmp_path):
    fake = make_fake(people=20, **seeing)
    path = plan_file(run, fake, tmp_path, "--suspend", "--only", "student00002@example.edu,student00003@example.edu")
    fake.set_suspended(fake.id_of("student00003@example.edu"))  # suspended by hand since the review
    result = run(fake, "--plan", str(path), "--yes", "--suspend")
    assert result.code == ExitStatus.OK, result.err
    assert fake.suspended_emails() == {"student00002@example.edu", "student00003@example.edu"}
    assert len(fake.people) == 22
    assert "suspended 1, already suspended 1" in result.out


def test_an_unsuspend_plan_applies_with_unsuspend(run, make_fake, seeing, tmp_path):
    fake = make_fake(people=20, **seeing)
    for n in (2, 3):
        fake.set_suspended(fake.id_of(student(n)))
    path = plan_file(run, fake, tmp_path, "--unsuspend", "--only-suspended")
    assert json.loads(path.read_text())["action"] == "unsuspend"
    fake.set_suspended(fake.id_of("student00004@example.edu"))  # suspended after the review: not in the plan
    result = run(fake, "--plan", str(path), "--yes", "--unsuspend")
    assert result.code == ExitStatus.OK, result.err
    assert fake.suspended_emails() == {"student00004@example.edu"}
