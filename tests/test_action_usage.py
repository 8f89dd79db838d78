"""Flags that make no sense with --suspend or --unsuspend are refused before any request."""

from __future__ import annotations

import pytest

from remove_users import ExitStatus


@pytest.mark.parametrize(
    "args, named",
    [
        (["--suspend", "--transfer-to", "coadmin1@example.edu"], "--transfer-to"),
        (["--unsuspend", "--only-suspended", "--transfer-to", "coadmin1@example.edu"], "--transfer-to"),
        (["--from-report", "r.csv"], "add --unsuspend"),
        (["--suspend", "--from-report", "r.csv"], "add --unsuspend"),
        (["--unsuspend"], "--from-report PATH"),
        (["--unsuspend", "--from-report", "r.csv", "--only", "a@b.edu"], "not both"),
        (["--suspend", "--only-suspended"], "--only-suspended"),
        (["--suspend", "--suspended-days", "30"], "--suspended-days"),
        (["--suspended-days", "-1"], "--suspended-days must be 0 or more"),
        (["--suspend", "--unsuspend"], "not allowed with argument"),
        (["--unsuspend", "--from-report", "missing.csv"], "cannot read the report missing.csv"),
        # a bulk route may answer 200 and change nobody: only the check after the run can tell
        (["--suspend", "--no-protected-emails", "--no-verify"], "--no-verify would leave the suspension unchecked"),
        (["--unsuspend", "--only-suspended", "--no-verify"], "--no-verify would leave the unsuspension"),
    ],
)
def test_action_usage_errors(run, fake, args, named):
    result = run(fake, "--yes", *args)
    assert result.code == ExitStatus.USAGE
    assert named in result.err
    assert fake.requests == []


def test_a_report_without_the_tools_columns_is_refused(run, fake, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name,email\nJo,jo@example.edu\n")
    result = run(fake, "--yes", "--unsuspend", "--from-report", str(path))
    assert result.code == ExitStatus.USAGE and "written by this tool" in result.err
    assert fake.requests == []


def test_nothing_protected_stops_a_suspension_but_not_an_undo_or_a_grace_removal(
    run, make_fake, seeing
):
    fake = make_fake(people=20, **seeing, state_change_moves=True)
    result = run(fake, "--yes", "--suspend")
    assert result.code == ExitStatus.USAGE and "would be suspended" in result.err and "--no-protected-emails" in result.err
    assert fake.requests == []
    fake.set_suspended(fake.id_of("student00003@example.edu"), days_ago=60)
    assert run(fake, "--yes", "--unsuspend", "--only-suspended").code == ExitStatus.OK
    fake.set_suspended(fake.id_of("student00003@example.edu"), days_ago=60)
    # (no admin of the admins route shows as suspended: the run takes on that it cannot tell)
    grace = run(fake, "--yes", "--only-suspended", "--allow-unknown-admins")
    assert grace.code == ExitStatus.OK, grace.err
    assert "student00003@example.edu" not in fake.emails()
