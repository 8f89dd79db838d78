"""Issue 4: transfer before removal, guard rails, and a reviewed plan that applies exactly."""

from __future__ import annotations

import json

import pytest

from conftest import only_report, plan_file, student
from remove_users import ExitStatus

TARGET = "coadmin1@example.edu"
WS_NAME = "Fall 2026 Data Science"


# -- transfer ------------------------------------------------------------------------------------


def test_assets_are_transferred_before_each_removal(run, make_fake):
    fake = make_fake(people=4)
    target = fake.id_of(TARGET)
    leavers = [fake.id_of(student(n)) for n in range(1, 5)]
    result = run(fake, "--yes", "--no-protected-emails", "--transfer-to", TARGET.upper(), "--include-admins")
    assert result.code == ExitStatus.OK, result.err
    assert sorted(fake.emails()) == ["admin@example.edu", TARGET]  # the target is protected
    assert fake.assets[target] == 3 + 3 * 4
    for pid in leavers:
        calls = [(r.method, r.body) for r in fake.requests if r.method in ("PATCH", "DELETE") and (str(pid) in r.path or str(pid) in r.body)]
        assert calls[0][0] == "PATCH" and json.loads(calls[0][1]) == {"fromPersonId": pid, "toPersonId": target}
        assert calls[1][0] == "DELETE"
    assert {r["transferred_to"] for r in only_report()} == {TARGET}
    assert f"assets transferred to {TARGET}" in result.err


def test_a_failed_transfer_keeps_the_person(run, make_fake):
    fake = make_fake(people=3)
    stuck = fake.id_of("student00002@example.edu")
    fake.add_fault(method="PATCH", person_id=stuck, status=500, times=None)
    result = run(fake, "--yes", "--no-protected-emails", "--transfer-to", TARGET)
    assert result.code == ExitStatus.SOME_FAILED
    assert stuck in fake.people
    assert fake.count("PATCH") == 2 + 5  # the failing transfer was retried like a removal
    assert fake.count("DELETE", rf"/{stuck}$") == 0
    row = next(r for r in only_report() if r["person_id"] == str(stuck))
    assert row["outcome"] == "transfer-failed" and row["http_status"] == "500" and row["transferred_to"] == ""
    assert "transfer failed 1" in result.out


def test_a_refused_transfer_is_not_retried(run, make_fake):
    fake = make_fake(people=2)
    stuck = fake.id_of("student00001@example.edu")
    fake.add_fault(method="PATCH", person_id=stuck, status=403, times=None, message="not allowed")
    result = run(fake, "--yes", "--no-protected-emails", "--transfer-to", TARGET)
    assert result.code == ExitStatus.SOME_FAILED
    assert fake.count("PATCH") == 2 and stuck in fake.people


@pytest.mark.parametrize("target", ["nobody@example.edu", "not-an-email"])
def test_a_transfer_target_that_is_not_a_member_is_refused_before_any_change(run, fake, target):
    result = run(fake, "--yes", "--no-protected-emails", "--transfer-to", target)
    assert result.code == ExitStatus.USAGE
    assert target in result.err
    assert fake.writes() == []


# -- guard rails ---------------------------------------------------------------------------------


def test_max_remove_stops_before_any_change(run, fake):
    result = run(fake, "--yes", "--no-protected-emails", "--max-remove", "19")
    assert result.code == ExitStatus.SAFETY_STOP
    assert "removes 20 people, more than --max-remove 19" in result.err
    assert "To remove: 20" in result.out
    assert fake.writes() == []
    assert run(fake, "--yes", "--no-protected-emails", "--max-remove", "20").code == ExitStatus.OK


def test_max_remove_in_a_dry_run_is_a_warning(run, fake):
    capped = run(fake, "--dry-run", "--max-remove", "5", "--exclude", "student00001@example.edu")
    assert capped.code == ExitStatus.OK
    warning = "remove_users: warning: the real run would stop here: the plan removes 19 people, more than --max-remove 5"
    assert warning in capped.err.splitlines()[-1]
    assert "the real run would stop here" not in run(fake, "--dry-run", "--exclude", "student00001@example.edu").err
    assert fake.writes() == []


@pytest.mark.parametrize("typo", ["student0001@example.edu", "stduent00001@example.edu", "student00001@example.com"])
def test_a_near_miss_with_yes_stops_and_names_the_entry(run, fake, typo):
    result = run(fake, "--yes", "--exclude", typo)
    assert result.code == ExitStatus.SAFETY_STOP
    assert typo in result.err and "did you mean student00001@example.edu?" in result.err
    assert fake.writes() == []


def test_a_near_miss_in_a_dry_run_is_a_warning(run, fake):
    result = run(fake, "--dry-run", "--exclude", "student0001@example.edu")
    assert result.code == ExitStatus.OK
    assert "looks like it" in result.err and "the real run would stop" in result.err


def test_a_near_miss_on_a_terminal_asks_first(run, fake):
    declined = run(fake, "--exclude", "student0001@example.edu", stdin="no\n")
    assert declined.code == ExitStatus.SAFETY_STOP
    assert "student0001@example.edu  looks like  student00001@example.edu" in declined.err
    assert fake.writes() == []
    accepted = run(fake, "--exclude", "student0001@example.edu", "--transfer-to", TARGET, stdin=f"yes\n{WS_NAME}\n")
    assert accepted.code == ExitStatus.OK
    assert f"their assets go to {TARGET} first" in accepted.err
    assert len(fake.people) == 2  # the caller and the transfer target


def test_an_entry_matching_nobody_and_nothing_alike_stays_a_warning(run, fake):
    result = run(fake, "--yes", "--exclude", "zed@elsewhere.org")
    assert result.code == ExitStatus.OK
    assert "zed@elsewhere.org matches no member" in result.err


# -- reviewed plans ------------------------------------------------------------------------------


def test_plan_out_writes_what_a_reviewer_needs(run, fake, tmp_path):
    path = plan_file(run, fake, tmp_path, "--exclude", "Student00001@example.edu", "--transfer-to", TARGET)
    doc = json.loads(path.read_text())
    assert doc["workspace"] == {"id": 4242, "name": WS_NAME}
    assert doc["tool_version"] and doc["created"].endswith("Z")
    assert doc["protections"]["emails"] == ["student00001@example.edu"]
    assert doc["protections"]["transfer_to"] == TARGET and doc["protections"]["include_admins"] is False
    assert len(doc["remove"]) == 19 and set(doc["remove"][0]) == {"id", "email", "name"}


def test_applying_a_plan_removes_exactly_the_planned_people(run, fake, tmp_path):
    path = plan_file(run, fake, tmp_path, "--transfer-to", TARGET)
    newcomer = fake.add_person("newcomer@example.edu", "Joined After Review")
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert sorted(fake.emails()) == ["admin@example.edu", TARGET, "newcomer@example.edu"]
    assert fake.count("PATCH") == 20  # the plan's --transfer-to is reused
    assert "not in the saved plan: 1" in result.out
    assert fake.count("DELETE", rf"/{newcomer}$") == 0


def test_a_plan_for_another_workspace_is_refused(run, fake, make_fake, tmp_path):
    path = plan_file(run, fake, tmp_path)
    other = make_fake(people=20, workspace_id=777, workspace_name="Spring 2027")
    result = run(other, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.SAFETY_STOP
    assert "for workspace 4242" in result.err and "Spring 2027 (id 777)" in result.err
    assert other.writes() == []


@pytest.mark.parametrize("change", ["protected now", "became admin", "email changed"])
def test_a_plan_that_no_longer_applies_is_refused(run, fake, tmp_path, change):
    path = plan_file(run, fake, tmp_path)
    pid = fake.id_of("student00003@example.edu")
    extra = []
    if change == "protected now":
        extra = ["--exclude", "student00003@example.edu"]
    elif change == "became admin":
        fake.admin_ids.add(pid)
    else:
        fake.people[pid]["email"] = "someone.else@example.edu"
    result = run(fake, "--plan", str(path), "--yes", *extra)
    assert result.code == ExitStatus.SAFETY_STOP
    assert "no longer applies" in result.err and str(pid) in result.err
    assert fake.writes() == []


def test_people_who_left_since_the_plan_count_as_already_gone(run, fake, tmp_path):
    path = plan_file(run, fake, tmp_path)
    left = fake.id_of("student00004@example.edu")
    del fake.people[left]
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.OK
    assert fake.count("DELETE", rf"/{left}$") == 0
    row = next(r for r in only_report() if r["person_id"] == str(left))
    assert row["outcome"] == "already-gone"
    assert "already gone 1" in result.out


def test_rerunning_a_plan_after_a_partial_run_finishes_the_job(run, fake, tmp_path):
    path = plan_file(run, fake, tmp_path)
    flaky = [fake.id_of(student(n)) for n in (5, 6)]
    for pid in flaky:
        fake.add_fault(method="DELETE", person_id=pid, status=503, times=5)
    report = tmp_path / "audit.csv"
    first = run(fake, "--plan", str(path), "--yes", "--report", str(report))
    assert first.code == ExitStatus.SOME_FAILED
    deletes_before = fake.count("DELETE")
    second = run(fake, "--plan", str(path), "--yes", "--report", str(report))
    assert second.code == ExitStatus.OK
    assert fake.count("DELETE") - deletes_before == 2  # only the two left over
    assert "removed 2, already gone 18" in second.out
    assert len(fake.people) == 2


@pytest.mark.parametrize("flag", [["--include-admins"], ["--transfer-to", TARGET]])
def test_selection_flags_are_refused_with_a_plan(run, fake, tmp_path, flag):
    path = plan_file(run, fake, tmp_path)
    result = run(fake, "--plan", str(path), "--yes", *flag)
    assert result.code == ExitStatus.USAGE
    assert flag[0] in result.err


def test_plan_out_needs_a_dry_run(run, fake, tmp_path):
    result = run(fake, "--plan-out", str(tmp_path / "p.json"), "--yes")
    assert result.code == ExitStatus.USAGE and "--dry-run" in result.err
    assert fake.requests == []


def test_a_broken_plan_file_is_a_usage_error(run, fake, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{"format": "something else"}')
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.USAGE and str(path) in result.err
    assert fake.requests == []


@pytest.mark.parametrize("stored, typed", [("Cafe\u0301 Analytics", "café analytics"),
                                           ("Caf\u00e9 Analytics", "CAFE\u0301 ANALYTICS")])
def test_a_name_with_an_accent_is_confirmed_in_either_unicode_form(run, make_fake, stored, typed):
    # A server may store an accent decomposed; a keyboard types it composed (and the other way).
    fake = make_fake(people=2, workspace_name=stored)
    result = run(fake, "--exclude", student(1), stdin=f"{typed}\n")
    assert result.code == ExitStatus.OK, result.err
    assert student(2) not in fake.emails() and student(1) in fake.emails()
    declined = make_fake(people=2, workspace_name=stored)
    assert run(declined, "--exclude", student(1), stdin="Cafe Analytics\n").code == 4
    assert student(2) in declined.emails()
