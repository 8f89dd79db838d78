"""A suspension the server acknowledged but the listing after the run cannot show is said, with
exit 3 and `unknown` rows: never exit 0 on a suspension nobody could see."""

from __future__ import annotations

import json

import pytest

from conftest import read_report, student
from remove_users import REPORT_FIELDS, ExitStatus

STUDENTS = {student(n) for n in (1, 2, 3)}

# Listings that never show a suspended member: the fake's default (GET /v4/people leaves them
# out, and there is no workspace-people route), and one that refuses includeStatus as well.
HIDING = {
    "people-route-hides-them": {},
    "include-status-refused": {"include_status_400": True},
}


@pytest.mark.parametrize("variant", list(HIDING))
def test_a_suspension_the_listing_cannot_show_is_unknown_and_said(run, make_fake, variant):
    fake = make_fake(people=3, **HIDING[variant])
    result = run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv", "--json")
    assert result.code == ExitStatus.SOME_FAILED
    assert fake.suspended_emails() == STUDENTS and len(fake.people) == 5  # done, and nobody removed
    rows = {r["email"]: r for r in read_report("r.csv")}
    assert {rows[e]["outcome"] for e in STUDENTS} == {"unknown"}
    assert all("could not be seen" in rows[e]["detail"] for e in STUDENTS)
    assert "3 people the server answered for are not in the listing after the run" in result.err
    doc = json.loads(result.out)
    assert doc["exit_code"] == 3 and doc["verified"]["unseen"] == 3
    assert "could not be seen" in doc["error"]


def test_a_suspension_shown_in_a_way_not_asked_for_is_failed_and_said(run, make_fake):
    # Suspended members are listed, but with a status field only when includeStatus=true is
    # accepted, and this server refuses the parameter: the records show nothing.
    fake = make_fake(people=3, suspended_as="status", hide_suspended=False, include_status_400=True)
    result = run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv")
    assert result.code == ExitStatus.SOME_FAILED
    assert fake.suspended_emails() == STUDENTS
    assert {r["outcome"] for r in read_report("r.csv")} == {"failed"}
    assert "none of the 3 people whose suspension the server acknowledged shows as" in result.err
    assert "verified: 0 of 3 planned people are suspended (listed by GET /v4/people)" in result.out


def test_an_interrupted_suspension_of_someone_not_listed_is_settled_as_unknown(
    run, make_fake, tmp_path
):
    fake = make_fake(people=3)
    hidden = fake.id_of("student00001@example.edu")
    fake.set_suspended(hidden)  # suspended, and so left out of GET /v4/people
    report = tmp_path / "r.csv"
    report.write_text(
        ",".join(REPORT_FIELDS) + "\r\n"
        f"2026-11-28T10:00:00Z,4242,{hidden},student00001@example.edu,S,attempting,,,,,suspend\r\n"
    )
    result = run(fake, "--yes", "--report", str(report), "--only", "student00003@example.edu")
    assert result.code == ExitStatus.OK, result.err
    last = {r["person_id"]: r for r in read_report(report)}[str(hidden)]
    assert last["outcome"] == "unknown" and "whether it took cannot be seen" in last["detail"]
    assert "1 not listed (unknown)" in result.err


@pytest.mark.parametrize("variant", list(HIDING))
def test_an_undo_that_sees_nobody_suspended_stops_with_exit_1(run, make_fake, variant):
    fake = make_fake(people=3, **HIDING[variant])
    assert run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv").code == 3
    before = len(fake.writes())
    undo = run(fake, "--unsuspend", "--yes", "--from-report", "r.csv")
    assert undo.code == ExitStatus.ERROR
    assert "sees nobody to reactivate: of the 3 people the report r.csv shows" in undo.err
    assert "3 not listed by GET /v4/people" in undo.err and "looked for state: hidden" in undo.err
    assert "nothing was sent" in undo.err and "Nobody to unsuspend" not in undo.out
    assert len(fake.writes()) == before and fake.suspended_emails() == STUDENTS


@pytest.mark.parametrize(
    "args, seen",
    [
        (["--only-suspended"], "of the 5 people listed, 5 listed with no sign of suspension"),
        (["--only", "student00001@example.edu"], "of the 1 person it was given, 1 listed with"),
    ],
)
def test_an_undo_of_people_who_show_no_suspension_stops_with_exit_1(run, make_fake, args, seen):
    fake = make_fake(people=3, hide_suspended=False)
    result = run(fake, "--unsuspend", "--yes", *args)
    assert result.code == ExitStatus.ERROR
    assert seen in result.err and fake.writes() == []
    dry = run(fake, "--unsuspend", "--dry-run", *args)
    assert dry.code == ExitStatus.OK
    assert "the real run would stop here: --unsuspend sees nobody" in dry.err


def test_a_grace_removal_that_sees_nobody_suspended_removes_nobody_and_says_why(run, make_fake):
    fake = make_fake(people=3)
    fake.set_suspended(fake.id_of("student00001@example.edu"), days_ago=90)  # and so not listed
    result = run(fake, "--yes", "--only-suspended", "--suspended-days", "30")
    assert result.code == ExitStatus.OK, result.err
    assert "no member shows as suspended in GET /v4/people?includeStatus=true" in result.err
    assert "Nobody to remove." in result.out and len(fake.people) == 5


def test_after_a_suspension_nobody_could_see_the_advice_is_not_to_run_it_again(run, make_fake):
    # Running it again would list only those not suspended and end with "Nobody to suspend",
    # saying nothing of the 3: the advice must send the admin to AAC, not back to the tool.
    fake = make_fake(people=3)
    first = run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv")
    assert first.code == ExitStatus.SOME_FAILED
    assert "run the same command again" not in first.out
    assert "Next: running it again will not find the 3 the listing after the run left" in first.out
    assert "check them in AAC's admin console" in first.out
    again = run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv")
    assert "Nobody to suspend." in again.out  # what the advice warned of


def test_an_undo_that_cannot_see_them_says_where_to_undo(run, make_fake):
    fake = make_fake(people=3)
    assert run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv").code == 3
    undo = run(fake, "--unsuspend", "--yes", "--from-report", "r.csv")
    assert undo.code == ExitStatus.ERROR
    assert "this listing leaves them out and the tool cannot reach them: reactivate them in AAC's" \
        " admin console" in undo.err.replace("\n", " ")


@pytest.mark.parametrize("shown, said", [(False, True), (True, False)])
def test_a_suspension_plan_says_when_nobody_shows_suspended_yet(run, make_fake, shown, said):
    fake = make_fake(people=3, hide_suspended=not shown, suspended_as="state")
    if shown:
        fake.set_suspended(fake.id_of("student00001@example.edu"))
    dry = run(fake, "--suspend", "--dry-run", "--no-protected-emails")
    assert dry.code == ExitStatus.OK
    assert ("nobody shows as suspended yet" in dry.out) is said
    assert ("suspend one person (--only EMAIL), then look with --dry-run" in dry.out) is said
