"""Issue 10, item 4: the plan names each person kept and why, and what happens to the removed people's work."""

from __future__ import annotations

from remove_users import ExitStatus


def kept_section(out: str) -> list[str]:
    section = out.split("People kept, and why:\n")[1].split("\n\n")[0]
    return [" ".join(line.split()) for line in section.splitlines()]


def test_dry_run_lists_each_kept_person_with_the_reason(run, make_fake):
    fake = make_fake(people=3)
    ghost = fake.add_person(None, "Ghost")
    result = run(fake, "--exclude", "student00002@example.edu", "--dry-run")
    assert result.code == ExitStatus.OK
    assert kept_section(result.out) == [
        f"{fake.caller_id} the caller (you) admin@example.edu Avery Admin",
        f"{fake.id_of('student00002@example.edu')} protected email student00002@example.edu Student 2",
        f"{fake.id_of('coadmin1@example.edu')} admin coadmin1@example.edu Co Admin 1",
        f"{ghost} no email on record (no email) Ghost",
    ]
    assert "Their work: deleted with them (flows, datasets, connections), unless you give --transfer-to EMAIL.\n" in result.out


def test_the_real_run_shows_the_same_plan_before_acting(run, make_fake, tmp_path):
    fake = make_fake(people=2)
    result = run(fake, "--exclude", "student00002@example.edu", "--yes", "--report", str(tmp_path / "r.csv"))
    assert result.code == ExitStatus.OK
    assert f"{fake.id_of('student00002@example.edu')} protected email student00002@example.edu Student 2" in kept_section(result.out)
    assert "Their work: deleted with them" in result.out


def test_transfer_target_is_named_in_the_work_line(run, make_fake):
    fake = make_fake(people=3)
    target = fake.id_of("student00003@example.edu")
    result = run(fake, "--transfer-to", "student00003@example.edu", "--dry-run")
    assert result.code == ExitStatus.OK
    assert (
        f"Their work: transferred to student00003@example.edu (id {target}) before each removal; anyone whose "
        "transfer fails is kept.\n"
    ) in result.out
    assert f"{target} transfer target student00003@example.edu Student 3" in kept_section(result.out)
    assert "deleted with them" not in result.out


def test_quiet_keeps_the_counts_only(run, make_fake):
    fake = make_fake(people=3)
    result = run(fake, "--dry-run", "-q")
    assert result.code == ExitStatus.OK
    assert "Kept: 2" in result.out and "admin: 1" in result.out
    assert "People kept" not in result.out and "coadmin1@example.edu" not in result.out


def test_nobody_to_remove_needs_no_work_line(run, make_fake):
    fake = make_fake(people=1)
    result = run(fake, "--exclude", "student00001@example.edu", "--dry-run")
    assert "To remove: 0" in result.out and "Their work" not in result.out
