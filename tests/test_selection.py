"""Issue 5: choosing who goes (--only, --inactive-days) and the --json document."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import only_report, plan_file
from remove_users import (
    Kept,
    ExitStatus,
    Person,
    Protections,
    Selection,
    make_plan,
)

NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.timezone.utc)


def login(days_ago: float | None) -> dict:
    if days_ago is None:
        return {"lastLoginTime": None}
    return {"lastLoginTime": (NOW - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def person(pid: int, email: str, **record) -> Person:
    return Person.from_record({"id": pid, "email": email, "name": email, **record})


# -- the pure rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record, include_never, kept_reason",
    [
        (login(200), False, None),
        (login(100), False, Kept.RECENT),
        (login(None), False, Kept.NEVER),
        (login(None), True, None),
        ({}, True, Kept.LOGIN_UNKNOWN),  # no field: unknown, never "never logged in"
        ({"lastLoginTime": "yesterday-ish"}, True, Kept.LOGIN_UNKNOWN),
    ],
)
def test_inactive_days_rules(record, include_never, kept_reason):
    p = person(5, "x@uni.edu", **record)
    plan = make_plan([p], 1, set(), Protections(), Selection(inactive_days=180, include_never_logged_in=include_never, now=NOW))
    if kept_reason is None:
        assert plan.remove == [p]
    else:
        assert plan.kept == [(p, kept_reason)]


def test_only_and_inactive_must_both_hold_and_protections_win():
    people = [
        person(2, "Old.Leaver@uni.edu", **login(400)),
        person(3, "fresh.leaver@uni.edu", **login(3)),
        person(4, "old.stayer@uni.edu", **login(400)),
        person(5, "protected.leaver@uni.edu", **login(400)),
    ]
    plan = make_plan(
        people,
        1,
        set(),
        Protections(["protected.leaver@uni.edu"]),
        Selection(only=["old.leaver@uni.edu", "fresh.leaver@uni.edu", "protected.leaver@uni.edu", "ghost@uni.edu"], inactive_days=30, now=NOW),
    )
    assert [p.id for p in plan.remove] == [2]
    assert {p.id: r for p, r in plan.kept} == {3: Kept.RECENT, 4: Kept.NOT_ONLY, 5: Kept.PROTECTED}
    assert plan.not_members == ["ghost@uni.edu"]


# -- against the server -----------------------------------------------------------------------------


def test_only_removes_just_the_listed_people(run, fake, tmp_path):
    leavers = tmp_path / "leavers.csv"
    leavers.write_text("Display Name,Email Address\nThree,STUDENT00003@example.edu\nGone,gone.already@example.edu\n")
    result = run(fake, "--yes", "--only", "student00001@example.edu,student00002@example.edu", "--only-file", str(leavers))
    assert result.code == ExitStatus.OK
    assert len(fake.people) == 19
    assert not {"student00001@example.edu", "student00002@example.edu", "student00003@example.edu"} & fake.emails()
    assert "Not a member (on the --only list, not in this workspace): 1" in result.out
    assert "gone.already@example.edu" in result.out and "not a member 1" in result.out
    assert "failed 0" in result.out
    assert len(only_report()) == 3


def test_only_never_removes_a_protected_person(run, fake):
    result = run(fake, "--yes", "--only", "student00001@example.edu,coadmin1@example.edu", "--exclude", "student00001@example.edu")
    assert result.code == ExitStatus.OK
    assert fake.writes() == []
    assert "Nobody to remove." in result.out


def test_inactive_days_against_the_server(run, make_fake):
    fake = make_fake(people=0)
    old = fake.add_person("old@example.edu", "Old", lastLoginTime="2025-01-01T00:00:00.000Z")
    never = fake.add_person("never@example.edu", "Never", lastLoginTime=None)
    recent = fake.add_person("recent@example.edu", "Recent", lastLoginTime=dt.datetime.now(dt.timezone.utc).isoformat())
    result = run(fake, "--yes", "--inactive-days", "90")
    assert result.code == ExitStatus.OK
    assert old not in fake.people and never in fake.people and recent in fake.people
    assert "logged in recently: 1" in result.out and "never logged in: 1" in result.out
    result = run(fake, "--yes", "--inactive-days", "90", "--include-never-logged-in")
    assert never not in fake.people and recent in fake.people


def test_inactive_days_stops_when_the_server_does_not_say(run, make_fake):
    fake = make_fake(people=3)
    for record in fake.people.values():
        del record["lastLoginTime"]
    result = run(fake, "--yes", "--inactive-days", "30")
    assert result.code == ExitStatus.ERROR
    assert "lastLoginTime" in result.err
    assert fake.writes() == []


@pytest.mark.parametrize(
    "args, named",
    [
        (["--include-never-logged-in"], "--inactive-days"),
        (["--inactive-days", "-1"], "--inactive-days"),
        (["--only", "not-an-email"], "'not-an-email'"),
    ],
)
def test_selection_usage_errors(run, fake, args, named):
    result = run(fake, "--dry-run", *args)
    assert result.code == ExitStatus.USAGE and named in result.err
    assert fake.requests == []


@pytest.mark.parametrize("flag", [["--only", "a@example.edu"], ["--inactive-days", "30"]])
def test_selection_flags_are_refused_with_a_plan(run, fake, tmp_path, flag):
    path = plan_file(run, fake, tmp_path)
    result = run(fake, "--plan", str(path), "--yes", *flag)
    assert result.code == ExitStatus.USAGE and flag[0] in result.err


# -- --json -------------------------------------------------------------------------------------------


def test_json_dry_run_is_one_document_on_stdout(run, fake):
    result = run(fake, "--dry-run", "--json", "--exclude", "student00001@example.edu", "--only", "student00001@example.edu,student00002@example.edu,x@example.edu")
    assert result.code == ExitStatus.OK
    doc = json.loads(result.out)
    assert doc["format"] == "remove_users.result/1" and doc["dry_run"] is True and doc["exit_code"] == 0
    assert doc["workspace"] == {"id": 4242, "name": "Fall 2026 Data Science"}
    assert doc["counts"]["members"] == 22 and doc["counts"]["to_remove"] == 1 and doc["counts"]["not_members"] == 1
    assert doc["counts"]["kept_by_reason"]["protected email"] == 1
    assert doc["people"] == [{"id": fake.id_of("student00002@example.edu"), "email": "student00002@example.edu", "name": "Student 2", "outcome": "would-remove"}]
    assert doc["not_members"] == ["x@example.edu"]
    assert {"id", "email", "name", "reason"} == set(doc["kept"][0])
    assert "Workspace: Fall 2026 Data Science" in result.err  # the human lines moved to stderr


def test_json_summary_has_each_outcome_and_the_report(run, fake):
    blocked = fake.id_of("student00004@example.edu")
    fake.add_fault(method="DELETE", person_id=blocked, status=403, times=None, message="owner")
    result = run(fake, "--yes", "--no-protected-emails", "--json")
    assert result.code == ExitStatus.SOME_FAILED
    doc = json.loads(result.out)
    assert doc["exit_code"] == 3 and doc["dry_run"] is False
    assert doc["counts"]["removed"] == 19 and doc["counts"]["failed"] == 1 and doc["counts"]["not_attempted"] == 0
    assert doc["report"].endswith(".csv")
    failed = next(p for p in doc["people"] if p["id"] == blocked)
    assert failed["outcome"] == "failed" and failed["http_status"] == 403 and failed["detail"] == "owner"
    assert failed["request_id"].startswith("req-")


def test_json_error_is_still_a_document(run, fake):
    result = run(fake, "--json", "--exclude", "broken", "--dry-run")
    assert result.code == ExitStatus.USAGE
    doc = json.loads(result.out)
    assert doc["exit_code"] == 2 and "'broken'" in doc["error"]
