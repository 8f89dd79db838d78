"""--suspend and the grace removal over many workspaces of one config file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from test_many_workspaces import KEEP, Setup

from remove_users import ExitStatus


@pytest.fixture
def make_fake(make_fake, seeing):
    """Every fake here shows suspended members, in each of the ways conftest.SEEING lists."""
    return lambda **kwargs: make_fake(**{**seeing, **kwargs})


def age_report_rows(fake, email: str, days: float) -> None:
    """Moves this person's rows in the default reports here `days` into the past, and what the
    server recorded of their changes with them."""
    workspace_id = fake.workspace["id"]
    fake.time_passes(fake.id_of(email), days)
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    when = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    for path in Path.cwd().glob(f"remove_users-*-{workspace_id}-*.csv"):
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            if row["workspace_id"] == str(workspace_id) and row["email"] == email:
                row["time"] = when
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def test_suspend_every_workspace_then_remove_those_suspended_long_enough(run, make_fake, tmp_path):
    two = Setup(make_fake, tmp_path)
    two.write()
    result = run(None, "--config", str(two.config), "--all", "--yes", "--suspend")
    assert result.code == ExitStatus.OK, result.err
    for fake in (two.a, two.b):
        assert fake.suspended_emails() == fake.emails() - {"admin@example.edu", "coadmin1@example.edu", KEEP}
    members_a, members_b = two.a.emails(), two.b.emails()
    # Suspended a while ago, as the report of the suspend run says: it dates the suspension first.
    age_report_rows(two.a, "student00002@example.edu", days=40)
    result = run(None, "--config", str(two.config), "--all", "--yes", "--only-suspended", "--suspended-days", "30", "--allow-unknown-admins")
    assert result.code == ExitStatus.OK, result.err
    assert two.a.emails() == members_a - {"student00002@example.edu"}
    assert two.b.emails() == members_b  # everyone in b was suspended just now: kept as suspended recently
    assert "suspended recently: 3" in result.out


def test_a_config_may_say_suspend_but_never_unsuspend(run, make_fake, tmp_path):
    two = Setup(make_fake, tmp_path)
    two.write(defaults="suspend = true")
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert len(two.a.suspended_emails()) == 4 and len(two.a.people) == 7  # suspended, nobody removed
    two.write(defaults="unsuspend = true")
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.USAGE and "command line only" in result.err


def test_the_table_counts_suspensions_in_suspension_words(run, tmp_path, make_fake):
    """The many-workspaces table said `removed -` for every workspace of a suspension run."""
    from test_many_workspaces import Setup

    setup = Setup(make_fake, tmp_path)
    for fake in (setup.a, setup.b):
        fake.hide_suspended = False
    config = setup.write(defaults="no-protected-emails = true\n")
    result = run(None, "--config", str(config), "--all", "--suspend", "--yes")
    header, first, second = result.out.strip().splitlines()[-3:]
    assert header.split() == ["workspace", "members", "suspended", "failed", "kept", "exit", "code"]
    assert first.split()[2] != "-" and second.split()[2] != "-"
    dry = run(None, "--config", str(config), "--all", "--suspend", "--dry-run")
    assert dry.out.strip().splitlines()[-3].split()[2:4] == ["to", "suspend"]
