"""Issue 8, item 8: lastLoginTime as epoch numbers is a time; an unreadable one is "unknown"."""

from __future__ import annotations

import datetime as dt

import pytest

from remove_users import ExitStatus


def login_fake(make_fake, epoch: str | None):
    fake = make_fake(people=0, epoch_logins=epoch)
    now = dt.datetime.now(dt.timezone.utc)
    ids = {
        "yesterday": fake.add_person("yesterday@example.edu", "Y", lastLoginTime=(now - dt.timedelta(days=1)).isoformat()),
        "long ago": fake.add_person("longago@example.edu", "L", lastLoginTime="2025-01-01T00:00:00+00:00"),
        "never": fake.add_person("never@example.edu", "N", lastLoginTime=None),
    }
    return fake, ids


@pytest.mark.parametrize("epoch", ["s", "ms"])
def test_epoch_logins_are_times(run, make_fake, epoch):
    fake, ids = login_fake(make_fake, epoch)
    result = run(fake, "--yes", "--inactive-days", "90", "--include-never-logged-in")
    assert result.code == ExitStatus.OK, result.err
    assert ids["yesterday"] in fake.people  # removed today: read as "never logged in"
    assert ids["long ago"] not in fake.people and ids["never"] not in fake.people
    assert "logged in recently: 1" in result.out


@pytest.mark.parametrize("value", [{"at": "yesterday"}, True, "", "last tuesday", [1]])
def test_an_unreadable_login_is_unknown_never_never(run, make_fake, value):
    fake = make_fake(people=0)
    odd = fake.add_person("odd@example.edu", "Odd", lastLoginTime=value)
    gone = fake.add_person("gone@example.edu", "Gone", lastLoginTime=None)
    result = run(fake, "--yes", "--inactive-days", "90", "--include-never-logged-in")
    assert result.code == ExitStatus.OK, result.err
    assert odd in fake.people and gone not in fake.people
    assert "last login unknown: 1" in result.out
