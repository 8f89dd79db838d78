"""An undo that cannot see some of the people it was given as suspended (not listed, or listed
without a sign of suspension while the report says its run suspended them) reactivates the others,
writes an `unknown` row for each it could not, names them and ends with exit 3, never exit 0."""

from __future__ import annotations

from conftest import SEEING, read_report, report_rows, student
from remove_users import ExitStatus

STATUS = SEEING["status-field"]


def leave_out_of_listings(fake, pid: int) -> None:
    """The listing leaves this (suspended) member out, as a page hiding suspended members would."""
    original = fake._visible

    def visible(statuses):
        rows, _ = original(statuses)
        rows = [t for t in rows if t[0]["id"] != pid]
        return rows, len({r["id"] for r, _ in rows})

    fake._visible = visible


def test_a_report_undo_that_cannot_see_someone_ends_with_exit_3(run, make_fake):
    fake = make_fake(people=3, **STATUS)
    both = f"{student(1)},{student(2)}"
    assert run(fake, "--suspend", "--yes", "--only", both, "--report", "r.csv").code == 0
    hidden = fake.id_of(student(2))
    leave_out_of_listings(fake, hidden)
    undo = run(fake, "--unsuspend", "--yes", "--from-report", "r.csv", "--report", "u.csv")
    assert undo.code == ExitStatus.SOME_FAILED
    assert fake.suspended_emails() == {student(2)}  # the other one is back
    rows = {r["email"]: r for r in read_report("u.csv")}
    assert rows[student(1)]["outcome"] == "unsuspended"
    assert rows[student(2)]["outcome"] == "unknown"
    assert (
        rows[student(2)]["person_id"] == str(hidden)
        and "not listed by" in rows[student(2)]["detail"]
    )
    assert "the undo cannot see 1 person it was given as suspended" in undo.err
    assert f"{student(2)} (id {hidden})" in undo.err
    assert "Summary: unsuspended 1, not suspended 0, failed 0, unknown 1," in undo.out


def test_an_only_undo_that_cannot_see_someone_ends_with_exit_3(run, make_fake):
    fake = make_fake(people=3, **STATUS)
    both = f"{student(1)},{student(2)}"
    assert run(fake, "--suspend", "--yes", "--only", both, "--report", "r.csv").code == 0
    leave_out_of_listings(fake, fake.id_of(student(2)))
    undo = run(fake, "--unsuspend", "--yes", "--only", both, "--report", "r.csv")
    assert undo.code == ExitStatus.SOME_FAILED
    assert fake.suspended_emails() == {student(2)}
    assert student(2) in undo.err and "Not seen suspended" in undo.out
    unseen = [r for r in report_rows("r.csv") if r["email"] == student(2)][-1]
    assert unseen["outcome"] == "unknown" and unseen["person_id"] == ""  # nobody lists their id


def test_someone_the_report_suspended_listed_without_a_sign_is_not_a_quiet_success(run, make_fake):
    fake = make_fake(people=3, **STATUS)
    both = f"{student(1)},{student(2)}"
    assert run(fake, "--suspend", "--yes", "--only", both, "--report", "r.csv").code == 0
    pid = fake.id_of(student(2))
    fake.set_suspended(pid, False)
    fake.people[pid]["status"] = "active"  # listed as active, whatever the truth is
    undo = run(fake, "--unsuspend", "--yes", "--from-report", "r.csv")
    assert undo.code == ExitStatus.SOME_FAILED
    last = {r["email"]: r for r in read_report("r.csv")}[student(2)]
    assert last["outcome"] == "unknown" and student(1) not in fake.suspended_emails()
    assert "with no sign of suspension, though the report shows them suspended" in last["detail"]


def test_an_undo_that_sees_nobody_counts_a_suspended_caller_apart(run, make_fake):
    fake = make_fake(people=3, **SEEING["state-hidden"])
    fake.set_suspended(fake.caller_id)  # only the caller shows as suspended
    result = run(fake, "--unsuspend", "--yes", "--only-suspended")
    assert result.code == ExitStatus.ERROR
    assert (
        "of the 5 people listed, 4 listed with no sign of suspension, 1 suspended but kept"
        in result.err
    )
    assert "(the caller (you))" in result.err
