"""--suspend and the grace removal over many workspaces of one config file."""

from __future__ import annotations

import pytest
from test_many_workspaces import KEEP, Setup

from remove_users import ExitStatus


@pytest.fixture
def make_fake(make_fake, seeing):
    """Every fake here shows suspended members, in each of the ways conftest.SEEING lists."""
    return lambda **kwargs: make_fake(**{**seeing, **kwargs})


def test_suspend_every_workspace_then_remove_those_suspended_long_enough(run, make_fake, tmp_path):
    two = Setup(make_fake, tmp_path)
    two.write()
    result = run(None, "--config", str(two.config), "--all", "--yes", "--suspend")
    assert result.code == ExitStatus.OK, result.err
    for fake in (two.a, two.b):
        assert fake.suspended_emails() == fake.emails() - {"admin@example.edu", "coadmin1@example.edu", KEEP}
    members_a, members_b = two.a.emails(), two.b.emails()
    two.a.set_suspended(two.a.id_of("student00002@example.edu"), days_ago=40)  # suspended a while ago
    result = run(None, "--config", str(two.config), "--all", "--yes", "--only-suspended", "--suspended-days", "30")
    assert result.code == ExitStatus.OK, result.err
    assert two.a.emails() == members_a - {"student00002@example.edu"}
    assert two.b.emails() == members_b  # everyone in b was suspended just now: kept as suspended recently


def test_a_config_may_say_suspend_but_never_unsuspend(run, make_fake, tmp_path):
    two = Setup(make_fake, tmp_path)
    two.write(defaults="suspend = true")
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert len(two.a.suspended_emails()) == 4 and len(two.a.people) == 7  # suspended, nobody removed
    two.write(defaults="unsuspend = true")
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.USAGE and "command line only" in result.err
