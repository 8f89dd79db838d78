"""The plan as an admin reviews it: columns line up, --only does not bury the people who go under
everyone else, --inactive-days shows each removal's last login, and counts read as English."""

from __future__ import annotations

import re

from remove_users import ExitStatus


def block(out: str, title: str) -> list[str]:
    lines = out.split(title + "\n", 1)[1].splitlines()
    return lines[: lines.index("")] if "" in lines else lines


def test_columns_line_up(run, make_fake):
    fake = make_fake(people=3)
    out = run(fake, "--exclude", "student00001@example.edu", "--dry-run").out
    kept = block(out, "People kept, and why:")
    assert len(kept) == 3
    names = {line.index(name) for line, name in zip(sorted(kept), ["Avery Admin", "Co Admin 1", "Student 1"])}
    assert len(names) == 1, kept  # every name starts in one column
    assert len({re.search(r"\S+@", line).start() for line in kept}) == 1, kept  # and every email
    removed = block(out, "People who would be removed:")
    assert len({line.index("Student") for line in removed}) == 1, removed


def test_only_counts_everyone_else_in_one_line_unless_verbose(run, make_fake):
    fake = make_fake(people=30)
    out = run(fake, "--only", "student00007@example.edu", "--dry-run").out
    assert "not on the --only list  student" not in out
    assert "Also kept, not on the --only list: 29 people (-v lists them)\n" in out
    assert block(out, "People who would be removed:") == [f"  {fake.id_of('student00007@example.edu')}  student00007@example.edu  Student 7"]
    verbose = run(fake, "--only", "student00007@example.edu", "--dry-run", "-v").out
    assert verbose.count("not on the --only list  student") == 29 and "Also kept" not in verbose


def test_inactive_days_shows_each_removals_last_login(run, make_fake):
    fake = make_fake(people=2)
    fake.people[fake.id_of("student00001@example.edu")]["lastLoginTime"] = "2025-03-04T05:06:07.000Z"
    fake.people[fake.id_of("student00002@example.edu")]["lastLoginTime"] = None
    out = run(fake, "--inactive-days", "90", "--include-never-logged-in", "--dry-run").out
    removed = block(out, "People who would be removed:")
    assert re.fullmatch(r"  \d+  student00001@example.edu  last login 2025-03-04  Student 1", removed[0]), removed
    assert re.fullmatch(r"  \d+  student00002@example.edu  last login never       Student 2", removed[1]), removed


def test_one_person_reads_as_one_person(run, make_fake, tmp_path):
    fake = make_fake(people=1)
    result = run(fake, "--yes", "--only", "student00001@example.edu", "--report", str(tmp_path / "r.csv"))
    assert result.code == ExitStatus.OK, result.err
    assert "Removing 1 person, 4 at a time" in result.err and "1 people" not in result.output
    capped = run(make_fake(people=2), "--yes", "--no-protected-emails", "--max-remove", "1")
    assert "the plan removes 2 people, more than --max-remove 1" in capped.err
