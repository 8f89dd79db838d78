"""A suspension date from this tool's rows counts only while the rows say its run suspended the
person and nothing since ended that suspension: a later failed row, an `attempting` row never
followed, an undo's row in any report read, or a record changed since all leave the time unknown,
and the person is kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import SEEING, age_rows, read_report, student, suspended_by_hand
from remove_users import REPORT_FIELDS, ExitStatus, report_host

STATUS = SEEING["status-field"]  # listed; a suspension shows only as a status field


def ago(days: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def grace(run, fake, *report: str):
    result = run(fake, "--yes", "--suspended-days", "30", "--allow-unknown-admins", *report)
    assert result.code == ExitStatus.OK, result.err
    return result


def test_a_suspension_the_check_found_untrue_does_not_date_a_later_one(run, make_fake):
    fake = make_fake(people=3, **STATUS)
    real = fake._bulk_suspend
    fake._bulk_suspend = lambda suspend, body: (200, {}, b"")  # acknowledged, and nothing done
    first = run(fake, "--suspend", "--yes", "--only", student(1), "--report", "r.csv")
    assert first.code == ExitStatus.SOME_FAILED and read_report("r.csv")[-1]["outcome"] == "failed"
    fake._bulk_suspend = real
    age_rows(Path("r.csv"), student(1), 40)
    suspended_by_hand(fake, student(1), 2)
    result = grace(run, fake, "--report", "r.csv")
    assert student(1) in fake.emails(), "removed someone suspended 2 days ago"
    assert "suspended recently: 0" not in result.out and "suspension time unknown: 1" in result.out


def test_a_record_changed_since_the_row_leaves_the_time_unknown(run, make_fake):
    fake = make_fake(people=3, **STATUS)
    assert run(fake, "--suspend", "--yes", "--only", student(1), "--report", "r.csv").code == 0
    age_rows(Path("r.csv"), student(1), 40, fake)
    pid = fake.id_of(student(1))
    fake.set_suspended(pid, False, days_ago=20)  # reactivated in the UI: no row of ours says so
    fake.set_suspended(pid, True, days_ago=2)  # and suspended again; updatedAt moved with each
    result = grace(run, fake, "--report", "r.csv")
    assert student(1) in fake.emails(), "removed someone suspended 2 days ago"
    assert "suspension time unknown: 1" in result.out
    assert "Suspension times: 1 unknown (1 reports read)" in result.out


def test_the_readme_undo_without_a_report_still_ends_the_date(run, make_fake, tmp_path):
    fake = make_fake(people=3, **STATUS)
    (tmp_path / "log").mkdir()
    term = str(tmp_path / "log" / "fall-2026.csv")
    assert run(fake, "--suspend", "--yes", "--only", student(1), "--report", term).code == 0
    age_rows(Path(term), student(1), 40, fake)
    # "Someone needs their work back", without --report: its row goes to a default name here.
    undo = run(fake, "--unsuspend", "--only", student(1), "--yes")
    assert undo.code == ExitStatus.OK, undo.err
    assert "Give the term's report with --report" in undo.err
    suspended_by_hand(fake, student(1), 1)
    result = grace(run, fake, "--report", term)
    assert student(1) in fake.emails(), "removed someone suspended 1 day ago"
    # the undo's row, read from this folder: reactivated just now, so suspended again since
    assert "suspended recently: 1" in result.out and "(2 reports read)" in result.out


def test_an_undo_from_a_report_appends_its_rows_to_that_report(run, make_fake):
    fake = make_fake(people=3, **STATUS)
    assert run(fake, "--suspend", "--yes", "--only", student(1), "--report", "r.csv").code == 0
    undo = run(fake, "--unsuspend", "--yes", "--from-report", "r.csv")
    assert undo.code == ExitStatus.OK, undo.err
    assert "Give the term's report" not in undo.err and not list(Path.cwd().glob("remove_users-*"))
    assert read_report("r.csv")[-1]["outcome"] == "unsuspended"
    age_rows(Path("r.csv"), student(1), 40)
    suspended_by_hand(fake, student(1), 1)
    grace(run, fake, "--report", "r.csv")
    assert student(1) in fake.emails()


def test_an_attempting_row_never_followed_dates_nothing(run, make_fake, tmp_path):
    fake = make_fake(people=3, **STATUS)
    pid = fake.id_of(student(1))
    host = report_host(fake.base_url)
    (tmp_path / "r.csv").write_text(  # a run killed before its request left, 40 days ago
        ",".join(REPORT_FIELDS) + "\r\n"
        f"{ago(40)},4242,{pid},{student(1)},Student 1,attempting,,,about to send the"
        f" suspension,,suspend,{host}\r\n"
    )
    suspended_by_hand(fake, student(1), 1)
    result = grace(run, fake, "--report", "r.csv")
    assert student(1) in fake.emails(), "removed someone suspended 1 day ago"
    assert "suspension time unknown: 1" in result.out
    # The next run that acts settles the row: they are suspended, but by whom is not known, and
    # the settled row's time (now) is the earliest the suspension can have begun.
    assert run(fake, "--yes", "--only", student(3), "--report", "r.csv").code == ExitStatus.OK
    settled = read_report("r.csv")[0]
    assert settled["email"] == student(1) and settled["outcome"] == "suspended"
    assert "by that run or since: not told apart" in settled["detail"]
    result = grace(run, fake, "--report", "r.csv")
    assert student(1) in fake.emails() and "suspended recently: 1" in result.out
