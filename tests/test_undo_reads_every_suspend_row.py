"""--unsuspend --from-report undoes everyone a run recorded in that report suspended (or was
suspending when it was killed), whatever later runs appended, unless an `unsuspended` row follows."""

from __future__ import annotations

import csv

import pytest

from conftest import read_report, student
from remove_users import REPORT_FIELDS, ExitStatus

KEEP = "student00001@example.edu"


@pytest.fixture
def make_fake(make_fake, seeing):
    """Every fake here shows suspended members, in each of the ways conftest.SEEING lists."""
    return lambda **kwargs: make_fake(**{**seeing, **kwargs})


def write_report(path, fake, rows: list[tuple[str, str, str]]) -> None:
    """rows: (email, outcome, action), in order."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, REPORT_FIELDS)
        writer.writeheader()
        for email, outcome, action in rows:
            writer.writerow({"time": "2026-11-28T10:00:00Z", "workspace_id": "4242", "person_id": fake.id_of(email), "email": email, "outcome": outcome, "action": action})


def test_a_second_run_with_the_same_report_does_not_hide_the_first_runs_people(run, make_fake, tmp_path):
    fake = make_fake(people=6)
    report = tmp_path / "fall-suspend.csv"
    args = ("--suspend", "--yes", "--exclude", KEEP, "--report", str(report))
    assert run(fake, *args).code == ExitStatus.OK
    first = set(fake.suspended_emails())
    fake.add_person("late.joiner@example.edu", "Late Joiner")
    assert run(fake, *args).code == ExitStatus.OK
    assert {r["outcome"] for r in read_report(report) if r["email"] in first} >= {"already-suspended"}
    undo = run(fake, "--unsuspend", "--yes", "--from-report", str(report))
    assert undo.code == ExitStatus.OK, undo.err
    assert fake.suspended_emails() == set()
    assert f"Summary: unsuspended {len(first) + 1}," in undo.out


def test_an_attempting_suspend_row_counts_and_a_later_unsuspended_row_ends_it(run, make_fake, tmp_path):
    fake = make_fake(people=6)
    for n in (2, 3, 4, 5):
        fake.set_suspended(fake.id_of(student(n)))
    report = tmp_path / "killed.csv"
    write_report(report, fake, [
        (student(2), "suspended", "suspend"),
        (student(3), "attempting", "suspend"),  # killed with the request in flight; the server acted
        (student(4), "attempting", "suspend"),
        (student(4), "unsuspended", "unsuspend"),  # undone once, suspended again by hand since
        (student(5), "attempting", "unsuspend"),  # never suspended by a run of this report
    ])
    undo = run(fake, "--unsuspend", "--yes", "--from-report", str(report))
    assert undo.code == ExitStatus.OK, undo.err
    assert fake.suspended_emails() == {student(4), student(5)}
    assert "Summary: unsuspended 2," in undo.out


def test_an_interrupted_undo_appending_to_the_same_report_can_be_finished(run, make_fake, tmp_path):
    fake = make_fake(people=6)
    for n in (3, 4):
        fake.set_suspended(fake.id_of(student(n)))
    report = tmp_path / "fall.csv"
    write_report(report, fake, [
        (student(2), "suspended", "suspend"),
        (student(3), "suspended", "suspend"),
        (student(4), "suspended", "suspend"),
        (student(2), "unsuspended", "unsuspend"),
        (student(3), "not-attempted", "unsuspend"),  # the undo was stopped here
        (student(4), "failed", "unsuspend"),
    ])
    again = run(fake, "--unsuspend", "--yes", "--from-report", str(report), "--report", str(report))
    assert again.code == ExitStatus.OK, again.err
    assert fake.suspended_emails() == set()
    assert {r["email"]: r["outcome"] for r in read_report(report)} == {student(2): "unsuspended", student(3): "unsuspended", student(4): "unsuspended"}


def test_an_undo_the_server_acknowledged_but_did_not_do_can_be_run_again(run, make_fake):
    fake = make_fake(people=2)
    assert run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv").code == 0
    real = fake._bulk_suspend
    fake._bulk_suspend = lambda suspend, body: (200, {}, b"")  # answers 200 and reactivates nobody
    undo = ("--unsuspend", "--yes", "--from-report", "r.csv", "--report", "r.csv")
    first = run(fake, *undo)
    assert first.code == ExitStatus.SOME_FAILED
    assert {r["outcome"] for r in read_report("r.csv")} == {"failed"}
    fake._bulk_suspend = real
    again = run(fake, *undo)
    assert again.code == ExitStatus.OK, again.err
    assert fake.suspended_emails() == set()
    assert "Summary: unsuspended 2," in again.out
    assert {r["outcome"] for r in read_report("r.csv")} == {"unsuspended"}
