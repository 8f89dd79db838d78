"""A suspension is read from every field a record may show it in, in one place, and named."""

from __future__ import annotations

import pytest

from conftest import student
from remove_users import ExitStatus, Person, Protections, Selection, make_plan, person_json


@pytest.mark.parametrize(
    "record, signal",
    [
        ({"state": "hidden"}, "state: hidden"),  # the spec: "cannot access the workspace"
        ({"state": "Hidden "}, "state: hidden"),
        ({"isDisabled": True}, "isDisabled: true"),  # the spec: the account
        ({"state": "active", "isDisabled": True}, None),  # signs that disagree: not confirmed
        ({"status": "active", "state": "hidden"}, None),
        ({"status": "suspended"}, "status: suspended"),  # includeStatus=true: a field unnamed
        ({"workspaceStatus": "SUSPENDED"}, "workspaceStatus: suspended"),
        ({"status": "disabled"}, "status: disabled"),
        ({"state": "hidden", "isDisabled": True}, "state: hidden"),  # the workspace's field first
        ({"state": "active", "isDisabled": False, "status": "active"}, None),
        ({"status": "new"}, None),  # invited, not suspended
        ({"isDisabled": "true"}, None),  # only a real true
        ({"state": None, "status": 3}, None),
        ({}, None),
    ],
)
def test_every_field_that_can_show_a_suspension_is_read(record, signal):
    person = Person.from_record({"id": 5, "email": "x@uni.edu", "name": "X", **record})
    assert person.suspension == signal and person.suspended is (signal is not None)
    plan = make_plan([person], 1, set(), Protections(), Selection(only_suspended=True))
    assert [p.id for p in plan.remove] == ([5] if signal else [])
    assert person_json(person).get("suspension") == signal


SHOWN_AS = {
    "isDisabled": "isDisabled: true",
    "state": "state: hidden",
    "status": "status: suspended",
}


def test_only_suspended_chooses_by_whichever_field_shows_it_and_says_which(run, make_fake, seeing):
    fake = make_fake(people=4, **seeing)
    for n in (2, 3):
        fake.set_suspended(fake.id_of(student(n)))
    result = run(fake, "--yes", "--only-suspended", "--allow-unknown-admins")
    assert result.code == ExitStatus.OK, result.err
    assert {"student00002@example.edu", "student00003@example.edu"} & fake.emails() == set()
    assert {"student00001@example.edu", "student00004@example.edu"} <= fake.emails()
    signal = SHOWN_AS[seeing["suspended_as"]]
    assert f"Suspended members: 2, seen as {signal}; listed by GET /v4/" in result.out
    assert "not suspended: 2" in result.out
