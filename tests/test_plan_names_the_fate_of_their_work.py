"""The plan's one line about the people's work fits the action: deleted, transferred, or kept."""

from __future__ import annotations

from remove_users import ExitStatus


def work_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("Their work:"))


def test_a_suspension_plan_says_their_work_is_kept(run, make_fake):
    fake = make_fake(people=2)
    result = run(fake, "--suspend", "--dry-run", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    line = work_line(result.out)
    assert "kept" in line and "keep all their assets" in line and "deleted" not in line


def test_a_removal_plan_still_says_their_work_is_deleted(run, make_fake):
    fake = make_fake(people=2)
    result = run(fake, "--dry-run", "--no-protected-emails")
    assert work_line(result.out).startswith("Their work: deleted with them")
