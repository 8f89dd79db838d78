"""Members are listed with the spec's own parameters: the workspace-people route with every
`status` where it answers, else GET /v4/people with the boolean includeStatus=true."""

from __future__ import annotations

import json

import pytest

from remove_users import ExitStatus

MEMBERS = "/v4/workspaces/4242/people"


def listings(fake) -> list[tuple[str, dict[str, str], int | None]]:
    gets = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/people")]
    return [(r.path, r.query, r.status) for r in gets]


def test_without_the_workspace_people_route_the_people_route_is_asked_for_statuses(run, make_fake):
    fake = make_fake(people=3, include_status_typed=True)  # a non-boolean includeStatus is refused
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    assert "HTTP 400" not in result.err and len(fake.people) == 2
    seen = listings(fake)
    assert seen[0][0] == MEMBERS and seen[0][2] == 404  # asked once: the check goes straight on
    assert {path for path, _, _ in seen[1:]} == {"/v4/people"}
    assert all(query["includeStatus"] == "true" for _, query, _ in seen[1:])
    assert len(seen) > 2  # the plan's listing, and the verification's


def test_the_workspace_people_route_is_preferred_and_asked_for_every_status(run, make_fake):
    fake = make_fake(people=3, workspace_people_route=True, suspended_as="status")
    fake.set_suspended(fake.id_of("student00002@example.edu"))
    result = run(fake, "--dry-run", "--only-suspended", "--json")
    assert result.code == ExitStatus.OK, result.err
    assert {path for path, _, _ in listings(fake)} == {MEMBERS}
    assert all(query["status"] == "active,new,suspended" for _, query, _ in listings(fake))
    doc = json.loads(result.out)
    assert doc["suspension"]["signals"] == {"status: suspended": 1}
    assert doc["suspension"]["listing"] == f"GET {MEMBERS}?status=active,new,suspended"
    assert [p["email"] for p in doc["people"]] == ["student00002@example.edu"]


@pytest.mark.parametrize("refusal", [400, 405])
def test_a_workspace_people_route_that_refuses_the_statuses_is_left_for_the_other(
    run, make_fake, refusal
):
    fake = make_fake(people=3, workspace_people_route=True)
    fake.add_fault(method="GET", path=f"^{MEMBERS}$", status=refusal, times=None, message="no")
    result = run(fake, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "To remove: 3" in result.out
    seen = [path for path, _, _ in listings(fake)]
    assert seen[0] == MEMBERS and set(seen[1:]) == {"/v4/people"}


def test_a_workspace_people_route_that_fails_otherwise_ends_the_run(run, make_fake):
    fake = make_fake(people=3, workspace_people_route=True)
    fake.add_fault(method="GET", path=f"^{MEMBERS}$", status=403, times=None, message="Forbidden")
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.ERROR
    assert f"GET {MEMBERS}" in result.err and "403" in result.err and fake.writes() == []
