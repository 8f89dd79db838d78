"""The script as a user runs it: a real process, real signals, a real terminal."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from conftest import read_report, run_on_terminal, start, student
from remove_users import ExitStatus


def test_a_plain_run_as_a_subprocess(make_fake, tmp_path: Path):
    fake = make_fake(people=30, page_cap=7)
    proc = start(fake, "--exclude", "student00001@example.edu", "--yes", "--report", str(tmp_path / "r.csv"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitStatus.OK, err
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu", "student00001@example.edu"}
    assert "Summary: removed 29, already gone 0, failed 0, not attempted 0, kept 3" in out
    assert len(read_report(tmp_path / "r.csv")) == 29


def test_ctrl_c_finishes_in_flight_and_records_the_rest(make_fake, tmp_path: Path):
    fake = make_fake(people=40, latency=0.15)
    report = tmp_path / "r.csv"
    proc = None
    deletes = []

    def interrupt_on_fifth(method, path):
        if method == "DELETE":
            deletes.append(time.monotonic())
            if len(deletes) == 5:
                proc.send_signal(signal.SIGINT)

    fake.hooks.append(interrupt_on_fifth)
    proc = start(fake, "--yes", "--no-protected-emails", "--concurrency", "4", "--report", str(report))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitStatus.INTERRUPTED
    assert "interrupted: no new removals" in err
    rows = read_report(report)
    assert len(rows) == 40  # every planned person is on record
    removed = {r["email"] for r in rows if r["outcome"] == "removed"}
    gone_from_server = {student(n) for n in range(1, 41)} - fake.emails()
    assert removed == gone_from_server  # in-flight removals finished and were recorded
    assert 5 <= len(removed) <= 8
    assert {r["outcome"] for r in rows} == {"removed", "not-attempted"}
    assert "not attempted" in out and "Report:" in out


def test_second_ctrl_c_abandons_in_flight_as_unknown(make_fake, tmp_path: Path):
    fake = make_fake(people=10)
    report = tmp_path / "r.csv"
    proc = None
    hung = []

    def hang_third(method, path):
        if method == "DELETE":
            hung.append(path)
            if len(hung) == 3:
                proc.send_signal(signal.SIGINT)
                time.sleep(0.5)
                proc.send_signal(signal.SIGINT)
                time.sleep(3)  # still "in flight" when the tool gives up on it

    fake.hooks.append(hang_third)
    proc = start(fake, "--yes", "--no-protected-emails", "--concurrency", "1", "--report", str(report))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitStatus.INTERRUPTED
    rows = {r["person_id"]: r for r in read_report(report)}
    assert len(rows) == 10, (err, rows)
    hung_id = hung[2].rsplit("/", 1)[1]
    assert rows[hung_id]["outcome"] == "unknown"
    assert [r["outcome"] for r in rows.values()].count("removed") == 2
    assert "abandoned 1" in err


def test_ctrl_c_before_any_removal_removes_nobody(make_fake):
    fake = make_fake(people=5, latency=0.5)
    proc = None
    # On the first request, not after a fixed sleep: a loaded machine may still be starting Python.
    fake.hooks.append(lambda method, path: proc.send_signal(signal.SIGINT) if len(fake.requests) == 1 else None)
    proc = start(fake, "--yes", "--no-protected-emails")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitStatus.INTERRUPTED
    assert "nobody was removed" in err
    assert fake.writes() == []


def test_confirmation_on_a_real_terminal(make_fake, tmp_path: Path):
    fake = make_fake(people=4)
    token = fake.issue_access_token()
    code, screen = run_on_terminal(
        fake,
        ["--token", token, "--exclude", "student00001@example.edu", "--report", str(tmp_path / "r.csv")],
        [("Type the workspace name", "Fall 2026 Data Science\n")],
    )
    assert code == ExitStatus.OK, screen
    assert len(fake.people) == 3
    assert token not in screen


def test_declining_on_a_real_terminal(make_fake):
    fake = make_fake(people=4)
    code, screen = run_on_terminal(
        fake, ["--token", fake.issue_access_token(), "--exclude", "student00001@example.edu"], [("Type the workspace name", "Fall 2025\n")]
    )
    assert code == ExitStatus.SAFETY_STOP
    assert len(fake.people) == 6 and fake.writes() == []
