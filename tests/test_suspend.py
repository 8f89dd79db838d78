"""--suspend and --unsuspend: the reversible first step, through the same engine as removal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import read_report, report_rows, student
from remove_users import MAX_ATTEMPTS, ExitStatus

KEEP = "student00001@example.edu"
ADMINS = {"admin@example.edu", "coadmin1@example.edu"}


@pytest.fixture
def make_fake(make_fake, seeing):
    """Every fake here shows suspended members, in each of the ways conftest.SEEING lists."""
    return lambda **kwargs: make_fake(**{**seeing, **kwargs})


def bulk_calls(fake, verb: str = "suspend") -> list[list[int]]:
    return [json.loads(r.body)["personIds"] for r in fake.requests if r.method == "POST" and r.path.endswith(f"/people/{verb}")]


def test_suspend_then_unsuspend_from_the_report_restores_everyone(run, make_fake, tmp_path):
    fake = make_fake(people=30)
    members = set(fake.emails())
    report = tmp_path / "fall-suspend.csv"
    result = run(fake, "--suspend", "--yes", "--exclude", KEEP, "--report", str(report))
    assert result.code == ExitStatus.OK, result.err
    assert fake.suspended_emails() == members - ADMINS - {KEEP}
    assert fake.emails() == members  # nobody removed
    assert fake.count("DELETE") == 0 and fake.count("PATCH") == 0
    assert [len(ids) for ids in bulk_calls(fake)] == [29]
    assert "Summary: suspended 29, already suspended 0, failed 0" in result.out
    assert "verified: 29 of 29 planned people are suspended" in result.out
    rows = read_report(report)
    last = {r["email"]: r for r in rows}
    assert {r["outcome"] for r in last.values()} == {"suspended"} and {r["action"] for r in rows} == {"suspend"}

    undo = run(fake, "--unsuspend", "--yes", "--from-report", str(report), "--report", str(report))
    assert undo.code == ExitStatus.OK, undo.err
    assert fake.suspended_emails() == set()
    assert fake.emails() == members
    assert sorted(bulk_calls(fake, "unsuspend")[0]) == sorted(bulk_calls(fake)[0])
    assert "Summary: unsuspended 29, not suspended 0, failed 0" in undo.out
    assert "verified: 29 of 29 planned people are active again" in undo.out


def test_the_undo_leaves_alone_those_suspended_before_the_run(run, make_fake, tmp_path):
    fake = make_fake(people=4)
    earlier = fake.id_of(student(2))
    fake.set_suspended(earlier, days_ago=100)
    report = tmp_path / "r.csv"
    result = run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", str(report))
    assert result.code == ExitStatus.OK, result.err
    assert "Already suspended (nothing to do): 1" in result.out
    assert earlier not in bulk_calls(fake)[0]
    assert {r["email"]: r["outcome"] for r in read_report(report)}[student(2)] == "already-suspended"
    run(fake, "--unsuspend", "--yes", "--from-report", str(report))
    assert fake.suspended_emails() == {student(2)}


def test_batches_hold_at_most_100_people(run, make_fake):
    fake = make_fake(people=250, page_cap=100)
    result = run(fake, "--suspend", "--yes", "--no-protected-emails", "--include-admins")
    assert result.code == ExitStatus.OK, result.err
    sizes = sorted(len(ids) for ids in bulk_calls(fake))
    assert sizes == [51, 100, 100]
    assert len(fake.suspended_emails()) == 251


def test_without_the_bulk_route_each_person_is_suspended_alone(run, make_fake):
    fake = make_fake(people=6, bulk_suspend_route=False)
    result = run(fake, "--suspend", "--yes", "--exclude", KEEP)
    assert result.code == ExitStatus.OK, result.err
    assert fake.suspended_emails() == {student(n) for n in range(2, 7)}
    assert fake.count("POST", r"/people/suspend$") == 1
    puts = [r for r in fake.requests if r.method == "PUT"]
    assert len(puts) == 5 and all(json.loads(r.body) == {"suspended": True} for r in puts)
    assert "no bulk route on this server" in result.err


# A PUT .../suspended that only suspends (the spec's), or one that would also reactivate.
@pytest.mark.parametrize("single_unsuspend", [False, True])
def test_without_the_bulk_route_the_undo_stops_and_invents_no_one_person_unsuspend(
    run, make_fake, single_unsuspend
):
    fake = make_fake(people=3, bulk_suspend_route=False, single_unsuspend=single_unsuspend)
    assert run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv").code == 0
    puts = fake.count("PUT")
    undo = run(fake, "--unsuspend", "--yes", "--from-report", "r.csv", "--report", "r.csv")
    assert undo.code == ExitStatus.ERROR
    assert "no bulk unsuspend route on this server (404)" in undo.err
    assert "the API has no one-person unsuspend, so the tool invents none" in undo.err
    assert fake.count("PUT") == puts and fake.count("POST", r"/people/unsuspend$") == 1
    assert fake.suspended_emails() == {student(n) for n in (1, 2, 3)}
    assert {r["outcome"] for r in read_report("r.csv") if r["action"] == "unsuspend"} == {"failed"}


def test_a_batch_that_fails_for_good_fails_its_people(run, make_fake):
    fake = make_fake(people=5)
    fake.add_fault(method="POST", path=r"/people/suspend$", status=500, times=None)
    result = run(fake, "--suspend", "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.SOME_FAILED
    assert fake.count("POST", r"/people/suspend$") == MAX_ATTEMPTS  # retried like any request
    assert fake.suspended_emails() == set()
    rows = {r["email"]: r["outcome"] for r in read_report(next(Path.cwd().glob("remove_users-*.csv")))}
    assert set(rows.values()) == {"failed"} and len(rows) == 5
    assert "failed 5" in result.out
    next_step = next(line for line in result.out.splitlines() if line.startswith("Next:"))
    assert "people already suspended show as suspended now" in next_step and "removed" not in next_step


def test_a_suspension_the_server_acknowledged_but_did_not_make_is_failed_by_the_check(run, make_fake):
    fake = make_fake(people=4)
    liar = fake.id_of(student(3))
    posted = []

    def undo_one(method: str, path: str) -> None:
        if method == "POST":
            posted.append(path)
        elif path.endswith("/people") and posted and fake.people[liar]["_suspended"]:
            fake.set_suspended(liar, False)  # answered 200, yet the member is not suspended

    fake.hooks.append(undo_one)
    result = run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv")
    assert result.code == ExitStatus.SOME_FAILED
    last = {r["email"]: r for r in read_report("r.csv")}
    assert last[student(3)]["outcome"] == "failed" and "not suspended after the run (verified)" in last[student(3)]["detail"]
    assert [r["outcome"] for r in report_rows("r.csv") if r["email"] == student(3)] == ["attempting", "suspended", "failed"]
    assert "verified: 3 of 4 planned people are suspended" in result.out


def test_unsuspend_only_touches_suspended_members(run, make_fake):
    fake = make_fake(people=4)
    fake.set_suspended(fake.id_of(student(1)))
    result = run(fake, "--unsuspend", "--yes", "--only", f"{student(1)},{student(2)},nobody@example.edu")
    assert bulk_calls(fake, "unsuspend") == [[fake.id_of(student(1))]]
    assert "Not suspended (nothing to do): 1" in result.out
    assert fake.suspended_emails() == set()
    # Someone an undo was given but nobody lists may be a suspended member the listing leaves out.
    assert result.code == ExitStatus.SOME_FAILED
    assert "Not seen suspended (the undo cannot reactivate them): 1" in result.out
    assert "the undo cannot see 1 person it was given as suspended" in result.err
    assert "nobody@example.edu" in result.err


def test_json_names_the_action_and_its_counts(run, make_fake):
    fake = make_fake(people=3)
    dry = json.loads(run(fake, "--suspend", "--dry-run", "--json").out)
    assert dry["action"] == "suspend" and dry["counts"]["to_suspend"] == 3
    assert {p["outcome"] for p in dry["people"]} == {"would-suspend"}
    doc = json.loads(run(fake, "--suspend", "--yes", "--no-protected-emails", "--json").out)
    assert doc["counts"]["suspended"] == 3 and doc["counts"]["already_suspended"] == 0
    assert "removed" not in doc["counts"] and doc["exit_code"] == 0
    verified = doc["verified"]
    assert verified["suspended"] == 3 and verified["planned"] == 3 and verified["unseen"] == 0
    assert sum(verified["signals"].values()) == 3 and verified["listing"].startswith("GET /v4/")


def test_a_suspension_confirms_in_its_own_words(run, make_fake):
    fake = make_fake(people=2)
    result = run(fake, "--suspend", "--no-protected-emails", stdin="\nFall 2026 Data Science\n")
    assert "everyone except you (and the admins, unless --include-admins) would be suspended" in result.err
    assert result.code == ExitStatus.OK, result.err
    assert "This suspends 2 people in Fall 2026 Data Science (id 4242)" in result.err
    assert "keep all their assets" in result.err
    assert len(fake.suspended_emails()) == 2


def test_max_remove_caps_a_suspension_too(run, make_fake):
    fake = make_fake(people=5)
    result = run(fake, "--suspend", "--yes", "--no-protected-emails", "--max-remove", "4")
    assert result.code == ExitStatus.SAFETY_STOP
    assert "the plan suspends 5 people, more than --max-remove 4" in result.err and "nobody was suspended" in result.err
    assert fake.writes() == []


def test_every_person_of_a_batch_has_an_intent_row_on_disk_before_the_bulk_request(run, make_fake, tmp_path):
    fake = make_fake(people=7)
    report = tmp_path / "r.csv"
    seen: list[dict[str, str]] = []

    def look(method: str, path: str) -> None:
        if method == "POST":
            seen.extend(report_rows(report))

    fake.hooks.append(look)
    result = run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", str(report))
    assert result.code == ExitStatus.OK, result.err
    assert sorted(r["email"] for r in seen if r["outcome"] == "attempting") == sorted(fake.suspended_emails())
    assert len(seen) == 7


def test_a_bulk_answer_that_is_a_sign_in_page_is_no_suspension(run, make_fake):
    fake = make_fake(people=3)
    fake.add_fault(method="POST", path=r"/people/suspend$", status=200, html=True, times=None, message="Sign in")
    result = run(fake, "--suspend", "--yes", "--no-protected-emails", "--report", "r.csv")
    assert result.code == ExitStatus.SOME_FAILED
    assert fake.suspended_emails() == set()
    rows = report_rows("r.csv")
    assert {r["outcome"] for r in rows if r["outcome"] not in ("attempting",)} == {"unknown", "failed"}
    assert {r["outcome"] for r in read_report("r.csv")} == {"failed"}  # the check found nobody suspended
    assert "verified: 0 of 3 planned people are suspended" in result.out


def test_the_plan_counts_kept_people_who_are_suspended_already(run, make_fake):
    # "Suspended members: 2" above "Already suspended: 1" did not add up: the other is an admin.
    fake = make_fake(people=3)
    fake.set_suspended(fake.id_of(student(2)), days_ago=10)
    fake.set_suspended(fake.id_of("coadmin1@example.edu"), days_ago=10)
    result = run(fake, "--suspend", "--dry-run", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    assert "Suspended members: 2," in result.out
    assert "Already suspended (nothing to do): 1 (and 1 kept, below)\n" in result.out
