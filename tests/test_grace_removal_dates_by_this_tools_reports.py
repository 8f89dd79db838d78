"""--suspended-days dates a suspension by this tool's report rows first and the server's
lastStateChange second, and keeps anyone suspended less than N days ago by either, under each way
a suspension can show, with a lastStateChange that moves or one that stays still."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import SEEING, age_rows, student
from remove_users import ExitStatus


def ago(days: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)




def server_time(fake, email: str, days: float) -> None:
    fake.people[fake.id_of(email)]["lastStateChange"] = ago(days).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.mark.parametrize("moves", [True, False], ids=["stateChange-moves", "stateChange-still"])
def test_a_grace_removal_trusts_this_tools_reports_first(run, make_fake, seeing, moves):
    fake = make_fake(people=4, **seeing, state_change_moves=moves)
    only = ",".join(student(n) for n in (1, 2))
    assert run(fake, "--suspend", "--yes", "--only", only, "--report", "r.csv").code == 0
    # 1: suspended by this tool 40 days ago (its report says so, and a moving server field too).
    age_rows(Path("r.csv"), student(1), 40, fake)
    if moves:
        server_time(fake, student(1), 41)
    # 2: suspended by this tool just now, though the server's field claims 90 days: kept.
    server_time(fake, student(2), 90)
    # 3: suspended by hand 60 days ago: no row of this tool dates it, only lastStateChange can.
    fake.set_suspended(fake.id_of(student(3)), days_ago=60)
    result = run(fake, "--allow-unknown-admins", "--yes", "--suspended-days", "30", "--report", "r.csv")
    assert result.code == ExitStatus.OK, result.err
    dated = seeing["suspended_as"] == "state" and moves  # the spec dates `state` by lastStateChange
    gone = {student(1), student(3)} if dated else {student(1)}
    students = {student(n) for n in (1, 2, 3, 4)}
    assert fake.emails() & students == students - gone
    assert "suspended recently: 1" in result.out
    assert ("suspension time unknown" in result.out) is not dated
    times = "Suspension times: 2 from this tool's reports, 1 from lastStateChange" if dated else (
        "Suspension times: 2 from this tool's reports, 1 unknown"
    )
    assert f"{times} (1 reports read)" in result.out


def test_the_default_reports_of_the_workspace_date_a_suspension_too(run, make_fake):
    fake = make_fake(people=3, **SEEING["isDisabled"])  # a field lastStateChange does not date
    assert run(fake, "--suspend", "--yes", "--no-protected-emails").code == ExitStatus.OK
    (report,) = Path.cwd().glob("remove_users-4242-*.csv")
    age_rows(report, student(1), 45, fake)
    result = run(fake, "--allow-unknown-admins", "--yes", "--suspended-days", "30", "--json")
    assert result.code == ExitStatus.OK, result.err
    assert student(1) not in fake.emails() and {student(2), student(3)} <= fake.emails()
    doc = json.loads(result.out)
    assert doc["suspension"]["dated_by"] == {"this tool's reports": 3}
    assert doc["suspension"]["reports_read"] == [report.name]
    assert doc["counts"]["kept_by_reason"]["suspended recently"] == 2


def test_a_reactivation_on_record_dates_a_later_suspension_by_hand(run, make_fake):
    fake = make_fake(people=2, **SEEING["isDisabled"])
    assert run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv").code == 0
    undo = ("--unsuspend", "--yes", "--from-report", "r.csv", "--report", "r.csv")
    assert run(fake, *undo).code == 0
    age_rows(Path("r.csv"), student(1), 100)
    age_rows(Path("r.csv"), student(2), 100)
    for n in (1, 2):
        fake.set_suspended(fake.id_of(student(n)), days_ago=50)  # again, by hand: no row says when
    result = run(fake, "--allow-unknown-admins", "--yes", "--suspended-days", "30", "--report", "r.csv")
    assert result.code == ExitStatus.OK, result.err
    # Reactivated 100 days ago, suspended again since: when, nobody can say.
    assert {student(1), student(2)} <= fake.emails()
    assert "suspension time unknown: 2" in result.out
