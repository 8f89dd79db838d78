"""A suspension is read from every field a record may show it in, in one place, and named."""

from __future__ import annotations

import pytest

from remove_users import Person, Protections, Selection, make_plan, person_json


@pytest.mark.parametrize(
    "record, signal",
    [
        ({"state": "hidden"}, "state: hidden"),  # the spec: "cannot access the workspace, data remains"
        ({"state": "Hidden "}, "state: hidden"),
        ({"state": "active", "isDisabled": True}, "isDisabled: true"),  # the spec: the account
        ({"status": "suspended"}, "status: suspended"),  # includeStatus=true: a field the spec does not name
        ({"workspaceStatus": "SUSPENDED"}, "workspaceStatus: suspended"),
        ({"status": "disabled"}, "status: disabled"),
        ({"state": "hidden", "isDisabled": True}, "state: hidden"),  # the workspace's own field first
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
