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


def test_the_terminal_and_the_review_page_read_one_line(run, make_fake):
    from remove_users import REMOVE, Person, their_work

    fake = make_fake(people=2)
    fake.add_person("archive@example.edu", "Course Archive")
    result = run(fake, "--dry-run", "--no-protected-emails", "--transfer-to", "archive@example.edu")
    target = Person(fake.id_of("archive@example.edu"), "archive@example.edu", "Course Archive")
    assert work_line(result.out) == their_work(REMOVE, target)
    assert their_work(REMOVE, target).startswith("Their work: transferred to archive@example.edu")
