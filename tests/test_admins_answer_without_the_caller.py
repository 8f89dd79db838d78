"""An /admins answer that visibly misses admins (empty, or without the caller whose own record
says isAdmin) is incomplete: admins unknown, exit 1 unless --allow-unknown-admins."""

from __future__ import annotations

import json

import pytest

from remove_users import ExitStatus


@pytest.mark.parametrize("answer", ["empty", "without-caller"])
def test_an_incomplete_admins_answer_stops_before_any_change(run, make_fake, answer):
    fake = make_fake(people=3, extra_admins=2, admins_answer=answer)
    result = run(fake, "--yes", "--exclude", "student00001@example.edu")
    assert result.code == ExitStatus.ERROR
    assert "cannot tell the workspace admins from the members" in result.err
    assert "--allow-unknown-admins" in result.err
    assert fake.writes() == [] and {"coadmin1@example.edu", "coadmin2@example.edu"} <= fake.emails()


def test_allow_unknown_admins_goes_on_with_the_flags_it_has(run, make_fake):
    fake = make_fake(people=2, extra_admins=2, admins_answer="empty")
    result = run(fake, "--yes", "--allow-unknown-admins", "--exclude", "coadmin1@example.edu")
    assert result.code == ExitStatus.OK, result.err
    assert "the admins route answered an empty list" in result.err
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu"}


def test_a_complete_answer_still_protects_the_co_admins(run, make_fake):
    fake = make_fake(people=2, extra_admins=2)
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu", "coadmin2@example.edu"}


def test_invited_and_suspended_admins_are_asked_for_and_kept(run, make_fake):
    fake = make_fake(people=2, extra_admins=1, hide_suspended=False)
    invited = fake.add_person("invited.admin@example.edu", "Ivy Invited", admin=True, invited=True)
    fake.set_suspended(fake.id_of("coadmin1@example.edu"))
    for pid in (invited, fake.id_of("coadmin1@example.edu")):
        fake.people[pid]["isAdmin"] = False  # only the route tells
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    assert "admin: 2" in result.out
    assert {"invited.admin@example.edu", "coadmin1@example.edu"} <= fake.emails()
    assert fake.count("DELETE") == 2  # the two students


def test_an_admins_answer_that_counts_more_than_it_holds_leaves_the_admins_unknown(run, make_fake):
    fake = make_fake(people=2, extra_admins=2)
    real = fake._route_v4

    def paged(method, path, query, body):
        status, headers, payload = real(method, path, query, body)
        if path.endswith("/admins"):
            data = json.loads(payload)
            payload = json.dumps({"data": data["data"][:2], "count": len(data["data"])}).encode()
        return status, headers, payload

    fake._route_v4 = paged
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.ERROR
    assert "counts 3 admins but holds 2" in result.err
    assert "cannot tell the workspace admins" in result.err
    assert fake.writes() == []
