"""A grace-removal plan (--suspended-days --dry-run --plan-out) is applied only while the same rule
still lets each planned person go: applying it dates the suspensions again, from the reports the
plan read and this run's, and stops if anyone was suspended again since the review."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SEEING, age_rows, plan_file, student
from remove_users import ExitStatus


def test_a_suspension_renewed_after_the_review_stops_the_plan(run, make_fake):
    fake = make_fake(people=3, **SEEING["state-hidden"], state_change_moves=True)
    pid = fake.id_of(student(1))
    fake.set_suspended(pid, days_ago=40)
    dry = run(fake, "--suspended-days", "30", "--dry-run", "--plan-out", "p.json")
    assert dry.code == ExitStatus.OK and student(1) in dry.out
    assert json.loads(Path("p.json").read_text())["suspended_days"] == 30
    fake.set_suspended(pid, False, days_ago=0.1)  # reactivated, then
    fake.set_suspended(pid, True, days_ago=0.01)  # suspended again 15 minutes ago
    result = run(fake, "--allow-unknown-admins", "--plan", "p.json", "--yes")
    assert result.code == ExitStatus.SAFETY_STOP
    assert f"{student(1)} (id {pid}) is suspended recently now" in result.err
    assert student(1) in fake.emails() and fake.writes() == []


def test_applying_reads_the_reports_the_plan_read(run, make_fake, tmp_path):
    fake = make_fake(people=3, **SEEING["status-field"])
    report = tmp_path / "fall.csv"
    assert run(fake, "--suspend", "--yes", "--only", student(1), "--report", str(report)).code == 0
    age_rows(report, student(1), 40, fake)
    dry = run(
        fake, "--suspended-days", "30", "--report", str(report), "--dry-run", "--plan-out", "p.json"
    )
    assert dry.code == ExitStatus.OK and "1 from this tool's reports" in dry.out
    undo = ("--unsuspend", "--yes", "--only", student(1), "--report", str(report))
    assert run(fake, *undo).code == ExitStatus.OK  # reactivated into the term's report
    pid = fake.id_of(student(1))
    fake.set_suspended(pid, days_ago=0.5)  # and suspended again by hand: no row, updatedAt still
    fake.people[pid]["updatedAt"] = fake.people[pid]["createdAt"]
    result = run(
        fake, "--allow-unknown-admins", "--plan", "p.json", "--yes"
    )  # no --report: the plan names what it read
    assert result.code == ExitStatus.SAFETY_STOP, result.err
    assert f"{student(1)} (id {pid}) is suspended recently now" in result.err
    assert student(1) in fake.emails() and fake.count("DELETE") == 0


def test_a_grace_plan_still_right_applies(run, make_fake, tmp_path):
    fake = make_fake(people=3, **SEEING["state-hidden"], state_change_moves=True)
    fake.set_suspended(fake.id_of(student(1)), days_ago=40)
    plan = plan_file(run, fake, tmp_path, "--suspended-days", "30")
    result = run(fake, "--allow-unknown-admins", "--plan", str(plan), "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert student(1) not in fake.emails() and "1 from lastStateChange" in result.out


def test_a_grace_plan_that_does_not_say_its_days_is_refused(run, make_fake, tmp_path):
    fake = make_fake(people=3, **SEEING["state-hidden"], state_change_moves=True)
    fake.set_suspended(fake.id_of(student(1)), days_ago=40)
    plan = plan_file(run, fake, tmp_path, "--suspended-days", "30")
    doc = json.loads(plan.read_text())
    del doc["suspended_days"]  # as an earlier version wrote it
    plan.write_text(json.dumps(doc))
    result = run(fake, "--allow-unknown-admins", "--plan", str(plan), "--yes")
    assert result.code == ExitStatus.USAGE
    assert "does not say whether --suspended-days did" in result.err
    assert student(1) in fake.emails() and fake.writes() == []
