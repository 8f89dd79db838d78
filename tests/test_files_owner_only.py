"""Reports and plan files list every member's email and name: they are created owner-only."""

from __future__ import annotations

import os
import stat

import pytest

from conftest import plan_file
from remove_users import ExitStatus


@pytest.mark.skipif(os.name == "nt", reason="Windows has no POSIX modes; the folder's access list decides")
def test_report_and_plan_are_created_mode_0600(run, make_fake, tmp_path):
    fake = make_fake(people=2)
    old = os.umask(0o022)
    try:
        plan = plan_file(run, fake, tmp_path, "--exclude", "student00001@example.edu")
        report = tmp_path / "r.csv"
        assert run(fake, "--plan", str(plan), "--yes", "--report", str(report)).code == ExitStatus.OK
    finally:
        os.umask(old)
    assert stat.S_IMODE(plan.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
