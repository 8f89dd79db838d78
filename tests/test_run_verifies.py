"""Item 1: after the removals the run lists the workspace again and corrects the report where it is wrong."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import only_report, plan_file, report_rows
from remove_users import ExitStatus

PROTECTED = "student00001@example.edu"


def last_row(pid: int) -> dict[str, str]:
    return next(r for r in only_report() if r["person_id"] == str(pid))


def test_a_clean_run_says_every_planned_person_is_verified_gone(run, fake):
    result = run(fake, "--yes", "--exclude", PROTECTED)
    assert result.code == ExitStatus.OK, result.err
    assert "verified: 19 of 19 planned people are no longer members" in result.out
    # The verification listing came after the last removal.
    last_delete = max(i for i, r in enumerate(fake.requests) if r.method == "DELETE")
    assert any(r.method == "GET" and r.path == "/v4/people" for r in fake.requests[last_delete:])


def test_a_404_for_someone_still_listed_becomes_failed(run, fake):
    liar = fake.id_of("student00003@example.edu")
    fake.add_fault(method="DELETE", person_id=liar, status=404, message="not a member")
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.SOME_FAILED
    rows = [r for r in report_rows(next(Path.cwd().glob("*.csv"))) if r["person_id"] == str(liar)]
    assert [r["outcome"] for r in rows] == ["attempting", "already-gone", "failed"]
    assert rows[-1]["detail"] == "still a member after the run (verified)"
    assert "verified: 19 of 20 planned people are no longer members" in result.out
    assert "failed 1" in result.out and "already gone 0" in result.out


def test_a_lost_answer_then_503s_is_verified_removed(run, fake):
    """The DELETE acted but its answer was lost, and every retry got 503: the listing shows them gone."""
    target = fake.id_of("student00004@example.edu")
    fake.add_fault(method="DELETE", person_id=target, reset=True, act_first=True, times=1)
    fake.add_fault(method="DELETE", person_id=target, status=503)
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    row = last_row(target)
    assert row["outcome"] == "removed" and row["detail"] == "verified absent after the run"
    assert "verified: 20 of 20" in result.out


def test_no_verify_skips_the_listing_and_keeps_the_answers(run, fake):
    target = fake.id_of("student00004@example.edu")
    fake.add_fault(method="DELETE", person_id=target, reset=True, act_first=True, times=1)
    fake.add_fault(method="DELETE", person_id=target, status=503)
    result = run(fake, "--yes", "--no-protected-emails", "--no-verify")
    assert result.code == ExitStatus.SOME_FAILED
    assert last_row(target)["outcome"] == "unknown"
    assert "verified:" not in result.out
    first_delete = min(i for i, r in enumerate(fake.requests) if r.method == "DELETE")
    assert not any(r.method == "GET" for r in fake.requests[first_delete:])


def test_a_failed_verification_listing_is_exit_3(run, fake):
    def break_listing(method, path):
        if method == "DELETE" and not fake.faults:
            fake.add_fault(method="GET", path="^/v4/people$", status=500)

    fake.hooks.append(break_listing)
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.SOME_FAILED
    assert "the listing that checks the run failed, so the report was not verified" in result.err
    assert len(fake.people) == 2  # the removals themselves went through


def test_members_who_joined_during_the_run_are_named(run, fake):
    def join(method, path):
        if method == "DELETE" and "late@example.edu" not in fake.emails():
            fake.add_person("late@example.edu", "Late Joiner")

    fake.hooks.append(join)
    result = run(fake, "--yes", "--no-protected-emails", "--json")
    assert result.code == ExitStatus.OK, result.err
    assert "1 members match the selection but were not in the plan" in result.err and "late@example.edu" in result.err
    doc = json.loads(result.out)
    assert [p["email"] for p in doc["unplanned"]] == ["late@example.edu"]
    assert doc["verified"] == {"absent": 20, "planned": 20}
    assert "late@example.edu" in fake.emails()  # named, not removed


def test_verification_with_transfer_to_and_a_saved_plan(run, fake, tmp_path):
    plan = plan_file(run, fake, tmp_path, "--exclude", PROTECTED)
    liar = fake.id_of("student00002@example.edu")
    fake.add_fault(method="DELETE", person_id=liar, status=200, html=True, message="Sign in")
    result = run(fake, "--yes", "--plan", str(plan))
    assert result.code == ExitStatus.SOME_FAILED
    assert last_row(liar)["outcome"] == "failed"
    assert "verified: 18 of 19" in result.out

    fake2_target = "coadmin1@example.edu"
    fake.faults.clear()
    fake.add_person("x1@example.edu", "X1")
    result = run(fake, "--yes", "--transfer-to", fake2_target, "--include-admins", "--exclude", PROTECTED, "--report", str(tmp_path / "t.csv"))
    assert result.code == ExitStatus.OK, result.err
    assert "verified: 2 of 2 planned people are no longer members" in result.out


def test_a_saved_plan_whose_people_all_left_ends_and_verifies(run, fake, tmp_path):
    plan = plan_file(run, fake, tmp_path, "--only", "student00002@example.edu")
    fake.people.pop(fake.id_of("student00002@example.edu"))
    result = run(fake, "--yes", "--plan", str(plan))
    assert result.code == ExitStatus.OK, result.err
    assert "already gone 1" in result.out and "verified: 1 of 1" in result.out
    assert fake.count("DELETE") == 0
