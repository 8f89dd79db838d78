"""A record whose workspace state (or status) says `active` while another field claims a
suspension is not confirmed suspended: --only-suspended never removes such a member and says why,
and --suspend sends the suspension instead of calling them already suspended."""

from __future__ import annotations

from conftest import read_report, student
from remove_users import ExitStatus, Person

STATE = {"suspended_as": "state", "hide_suspended": False, "include_status_typed": True}


def test_the_conflict_is_named():
    person = Person.from_record(
        {"id": 5, "email": "x@uni.edu", "state": "active", "isDisabled": True}
    )
    assert not person.suspended and person.conflict == "state: active, isDisabled: true"


def test_suspend_sends_the_request_for_someone_whose_state_says_active(run, make_fake):
    fake = make_fake(people=2, **STATE)
    pid = fake.id_of(student(1))
    fake.people[pid]["isDisabled"] = True  # the account flag; the workspace state says active
    result = run(fake, "--suspend", "--yes", "--only", student(1), "--report", "r.csv")
    assert result.code == ExitStatus.OK, result.err
    assert fake.people[pid]["_suspended"] and fake.count("POST", "/people/suspend") == 1
    assert (
        "not counted, as their signs disagree: 1 with state: active, isDisabled: true" in result.out
    )
    assert read_report("r.csv")[-1]["outcome"] == "suspended"


def test_only_suspended_keeps_someone_whose_signs_disagree_and_says_why(run, make_fake):
    fake = make_fake(people=3, **STATE)
    fake.people[fake.id_of(student(1))]["isDisabled"] = True
    fake.set_suspended(fake.id_of(student(2)), days_ago=40)
    result = run(fake, "--yes", "--only-suspended", "--allow-unknown-admins")
    assert result.code == ExitStatus.OK, result.err
    assert student(1) in fake.emails() and student(2) not in fake.emails()
    assert "signs of suspension disagree: 1" in result.out
