"""Issue 8, item 3: when /admins cannot be read, admins cannot be told from members: stop."""

from __future__ import annotations

import pytest

from remove_users import ExitStatus


def unreadable(fake, how: str) -> None:
    if how == "404":
        fake.admins_route = False
    elif how == "400":
        fake.add_fault(method="GET", path=r"/admins$", status=400, message="bad parameter")
    elif how == "403":
        fake.add_fault(method="GET", path=r"/admins$", status=403, message="forbidden")
    else:  # answered 200, but not a person list
        fake.add_fault(method="GET", path=r"/admins$", status=200, message="not a list")


@pytest.mark.parametrize("how", ["404", "400", "403", "not a list"])
def test_unreadable_admins_stop_before_any_change(run, make_fake, how):
    fake = make_fake(people=4)  # coadmin1's record does not say isAdmin: only /admins would tell
    unreadable(fake, how)
    result = run(fake, "--yes", "--exclude", "student00001@example.edu")
    assert result.code == ExitStatus.ERROR
    assert "cannot tell the workspace admins from the members" in result.err
    assert "--allow-unknown-admins" in result.err
    assert fake.writes() == [] and len(fake.people) == 6


def test_a_dry_run_stops_too(run, make_fake):
    fake = make_fake(people=4, admins_route=False)
    result = run(fake, "--dry-run", "--exclude", "student00001@example.edu")
    assert result.code == ExitStatus.ERROR
    assert "To remove" not in result.out


def test_allow_unknown_admins_goes_on_and_is_admin_still_protects(run, make_fake):
    fake = make_fake(people=3, extra_admins=2, admins_route=False)
    flagged = fake.id_of("coadmin2@example.edu")
    fake.people[flagged]["isAdmin"] = True
    fake.admin_flag_on_all = True
    fake.people[fake.id_of("coadmin1@example.edu")]["isAdmin"] = False  # an admin the records do not show
    result = run(fake, "--yes", "--allow-unknown-admins", "--exclude", "coadmin1@example.edu")
    assert result.code == ExitStatus.OK, result.err
    assert "--allow-unknown-admins" in result.err and "protect the others with --exclude" in result.err
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu", "coadmin2@example.edu"}


def test_include_admins_has_nothing_to_stop_for(run, make_fake):
    fake = make_fake(people=3, admins_route=False)
    result = run(fake, "--yes", "--include-admins", "--exclude", "student00001@example.edu")
    assert result.code == ExitStatus.OK, result.err
    assert fake.emails() == {"admin@example.edu", "student00001@example.edu"}


def test_a_server_error_on_admins_is_still_an_error_even_with_the_flag(run, make_fake):
    fake = make_fake(people=3)
    fake.add_fault(method="GET", path=r"/admins$", status=503, times=None)
    result = run(fake, "--yes", "--allow-unknown-admins", "--no-protected-emails")
    assert result.code == ExitStatus.ERROR and "HTTP 503" in result.err
    assert fake.writes() == []
